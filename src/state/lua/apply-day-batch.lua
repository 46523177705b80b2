--[[
  Applies one batch's delta for one day, exactly once.

  The day's `applied` hash records, per source partition, the last Kafka offset
  already folded into this day. A slice whose last offset is at or below it was
  applied before (a redelivery after a crash, a rebalance, or a zombie consumer)
  and is skipped. The caller filtered its messages against `expected`; if the
  watermark moved since, the caller re-reads it and filters again.

  KEYS: by name in K (see src/state/keys.ts, APPLY_DAY_BATCH_KEYS), all in the
  day's hash slot.

  ARGV[1] partition key ("topic/partition")
  ARGV[2] last offset of the slice
  ARGV[3] expected watermark (-1: none yet)
  ARGV[4] delta (JSON, see src/state/counter-codec.ts)
  ARGV[5] ttl in seconds
  ARGV[6] session length buckets: upper bounds in seconds, comma-separated
  ARGV[7] most distinct tracking-plan violation triples a day keeps
  ARGV[8] samples kept per violation triple
  ARGV[9] transaction ids of the slice that earlier days already hold (JSON
          array; the duplicate look-back, read by the caller from those days'
          slots)
  ARGV[10] how long the day remembers its event ids, in seconds (0: not at all)

  Returns {1, watermark, duplicates} applied, {0, watermark} already applied,
  {-1, watermark} watermark moved, {-2, watermark, ids} nothing written: the
  day already counted these event ids (the caller folds them as duplicates
  and applies again).
]]
--- @include "includes/counters"
--- @include "includes/transactions"
--- @include "includes/clients"
--- @include "includes/violations"
--- @include "includes/intraday"
--- @include "includes/event-ids"

local stored = redis.call('HGET', K.applied, ARGV[1])
local current = stored and tonumber(stored) or -1
local last = tonumber(ARGV[2])
if current >= last then
  return {0, tostring(current)}
end
if current ~= tonumber(ARGV[3]) then
  return {-1, tostring(current)}
end

local delta = cjson.decode(ARGV[4])
local counters = K.counters

local idWindow = tonumber(ARGV[10])
if idWindow > 0 then
  local seen = seenEventIds(K.eventIds, delta.ids)
  if #seen > 0 then
    return {-2, tostring(current), seen}
  end
  rememberEventIds(K.eventIds, delta.ids)
end

for field, by in pairs(delta.c) do
  redis.call('HINCRBY', counters, field, by)
end

local seenEarlier = {}
for _, id in ipairs(cjson.decode(ARGV[9])) do
  seenEarlier[id] = true
end
local duplicates, dedupCents = applyTransactions(K.tx, seenEarlier, delta.tx)
incrCounter(counters, 'revenue_dedup_cents', dedupCents)
incrCounter(counters, 'duplicate_transactions', duplicates)

addAll(K.atc, delta.atc)
addAll(K.checkout, delta.checkout)
addAll(K.purchase, delta.purchase)

local buckets = {}
for upper in string.gmatch(ARGV[6], '[^,]+') do
  buckets[#buckets + 1] = tonumber(upper)
end
migrateLegacyClients(K.clients, K.legacyFirstTouch, K.legacySessions, tonumber(delta.base))
local channels, sums, lengths = applyClients(K.clients, delta.cl, delta.clm, tonumber(delta.gap), buckets)
for channel, by in pairs(channels) do
  incrCounter(counters, 'channel:' .. channel, by)
end
incrCounter(counters, 'sessions', sums.sessions)
incrCounter(counters, 'session_ms', sums.ms)
incrCounter(counters, 'session_pages', sums.pages)
incrCounter(counters, 'session_bounces', sums.bounces)
incrCounter(counters, 'session_stragglers', sums.stragglers)
for bucket, by in pairs(lengths) do
  incrCounter(counters, 'session_len:' .. bucket, by)
end

applyViolations(K.contract, delta.cv, tonumber(ARGV[7]), tonumber(ARGV[8]))
applyIntraday(K.intraday, delta.it, delta.imin, delta.imax)

if redis.call('EXISTS', K.summary) == 1 and delta.c.events then
  redis.call('HINCRBY', counters, 'late_events', delta.c.events)
end

redis.call('HSET', K.applied, ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[5])
for name, key in pairs(K) do
  if name ~= 'summary' and name ~= 'eventIds' then
    redis.call('EXPIRE', key, ttl)
  end
end
if idWindow > 0 and #delta.ids > 0 then
  redis.call('EXPIRE', K.eventIds, idWindow)
end
return {1, ARGV[2], duplicates}
