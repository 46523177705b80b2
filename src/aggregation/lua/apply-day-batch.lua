--[[
  Applies one batch's delta for one day, exactly once.

  The day's `applied` hash records, per source partition, the last Kafka offset
  already folded into this day. A slice whose last offset is at or below it was
  applied before (a redelivery after a crash, a rebalance, or a zombie consumer)
  and is skipped. The caller filtered its messages against `expected`; if the
  watermark moved since, the caller re-reads it and filters again.

  KEYS[1] counters (hash)          KEYS[5] funnel:atc (set)
  KEYS[2] applied offsets (hash)   KEYS[6] funnel:checkout (set)
  KEYS[3] transactions (hash: id -> "ts|cents" of its earliest occurrence)
                                   KEYS[7] funnel:purchase (set)
  KEYS[4] first touch (hash: client -> "ts|channel")
  KEYS[8] summary (string; exists once the day was closed out)
  KEYS[9] sessions (hash: client -> its latest two sessions, see below)
  KEYS[10..] transaction hashes of earlier days (optional duplicate look-back)

  ARGV[1] partition key ("topic/partition")
  ARGV[2] last offset of the slice
  ARGV[3] expected watermark (-1: none yet)
  ARGV[4] delta (JSON, see day-delta.ts)
  ARGV[5] ttl in seconds

  Returns {1, watermark, duplicates} applied, {0, watermark} already applied,
  {-1, watermark} watermark moved.
]]
local stored = redis.call('HGET', KEYS[2], ARGV[1])
local current = stored and tonumber(stored) or -1
local last = tonumber(ARGV[2])
if current >= last then
  return {0, tostring(current)}
end
if current ~= tonumber(ARGV[3]) then
  return {-1, tostring(current)}
end

local delta = cjson.decode(ARGV[4])
local counters = KEYS[1]

for field, by in pairs(delta.c) do
  redis.call('HINCRBY', counters, field, by)
end

-- A transaction id seen before on this day (or in the look-back) is a duplicate:
-- its revenue stays in `revenue_cents` (as tracked). The deduplicated revenue
-- counts each id once, at its earliest occurrence by timestamp, so it does not
-- depend on the order partitions are consumed in. HSETNX first: a new id (the
-- common case) costs one call; sums are written once at the end.
local duplicates = 0
local dedupCents = 0
for _, t in ipairs(delta.tx) do
  local id, ts, cents = t[1], t[2], t[3]
  if redis.call('HSETNX', KEYS[3], id, ts .. '|' .. cents) == 1 then
    local earlier = false
    for i = 10, #KEYS do
      if redis.call('HEXISTS', KEYS[i], id) == 1 then
        earlier = true
        break
      end
    end
    if earlier then
      duplicates = duplicates + 1
    else
      dedupCents = dedupCents + tonumber(cents)
    end
  else
    duplicates = duplicates + 1
    local old = redis.call('HGET', KEYS[3], id)
    local sep = string.find(old, '|', 1, true)
    if tonumber(ts) < tonumber(string.sub(old, 1, sep - 1)) then
      dedupCents = dedupCents + tonumber(cents) - tonumber(string.sub(old, sep + 1))
      redis.call('HSET', KEYS[3], id, ts .. '|' .. cents)
    end
  end
end
if dedupCents ~= 0 then
  redis.call('HINCRBY', counters, 'revenue_dedup_cents', string.format('%d', dedupCents))
end
if duplicates > 0 then
  redis.call('HINCRBY', counters, 'duplicate_transactions', duplicates)
end

-- First touch: a client's channel is that of its earliest event; channel counts
-- follow it. A client new to the day (the common case) costs one HSETNX.
local channels = {}
local function bump(channel, by)
  channels[channel] = (channels[channel] or 0) + by
end
for _, f in ipairs(delta.ft) do
  local client, ts, channel = f[1], f[2], f[3]
  if redis.call('HSETNX', KEYS[4], client, ts .. '|' .. channel) == 1 then
    bump(channel, 1)
  else
    local old = redis.call('HGET', KEYS[4], client)
    local sep = string.find(old, '|', 1, true)
    if tonumber(ts) < tonumber(string.sub(old, 1, sep - 1)) then
      local oldChannel = string.sub(old, sep + 1)
      redis.call('HSET', KEYS[4], client, ts .. '|' .. channel)
      if oldChannel ~= channel then
        bump(oldChannel, -1)
        bump(channel, 1)
      end
    end
  end
end
for channel, by in pairs(channels) do
  if by ~= 0 then
    redis.call('HINCRBY', counters, 'channel:' .. channel, by)
  end
end

-- SADD in chunks: Lua's unpack has a stack limit.
local function addAll(key, members)
  local n = #members
  for i = 1, n, 1000 do
    redis.call('SADD', key, unpack(members, i, math.min(i + 999, n)))
  end
end
addAll(KEYS[5], delta.atc)
addAll(KEYS[6], delta.checkout)
addAll(KEYS[7], delta.purchase)

-- Sessions: a client's run of events with gaps of at most `gap` ms; it belongs
-- to the day it starts (the day's keys hold it, so one crossing midnight is cut
-- there). Per client the latest session S and the one before it P are kept as
-- "start|last|pages[|start|last|pages]"; day counters hold the sums. A run merges
-- with S or P when within the gap of it (bridging P and S when it closes the
-- gap between them), so events arriving out of order by up to one gap are
-- placed exactly. A run older than both is a straggler: counted, left out.
local gap = tonumber(delta.gap)
local sums = {sessions = 0, ms = 0, pages = 0, bounces = 0, stragglers = 0}
local lengths = {}
local BUCKETS = {0, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200}
local BUCKET_NAMES = {}
for k, upper in ipairs(BUCKETS) do
  BUCKET_NAMES[k] = tostring(upper)
end
local function bucketOf(ms)
  local seconds = ms / 1000
  for k, upper in ipairs(BUCKETS) do
    if seconds <= upper then
      return BUCKET_NAMES[k]
    end
  end
  return 'inf'
end
local function countRun(start, last, pages, sign)
  local length = last - start
  sums.sessions = sums.sessions + sign
  sums.ms = sums.ms + sign * length
  sums.pages = sums.pages + sign * pages
  if pages == 1 then
    sums.bounces = sums.bounces + sign
  end
  local b = bucketOf(length)
  lengths[b] = (lengths[b] or 0) + sign
end
local function count(s, sign)
  countRun(s[1], s[2], s[3], sign)
end
local function merge(a, b)
  return {math.min(a[1], b[1]), math.max(a[2], b[2]), a[3] + b[3]}
end
local function within(run, s)
  return run[1] <= s[2] + gap and run[2] >= s[1] - gap
end
local function encode(s)
  return string.format('%d|%d|%d', s[1], s[2], s[3])
end
-- A client's runs merged into its stored sessions; returns the new stored value.
local function place(stored, runs)
  local S, P
  if stored then
    local v = {}
    for n in string.gmatch(stored, '[^|]+') do
      v[#v + 1] = tonumber(n)
    end
    S = {v[1], v[2], v[3]}
    if v[4] then
      P = {v[4], v[5], v[6]}
    end
  end
  for _, r in ipairs(runs) do
    local run = {tonumber(r[1]), tonumber(r[2]), tonumber(r[3])}
    if not S then
      S = run
      count(S, 1)
    elseif run[1] > S[2] + gap then
      P = S
      S = run
      count(S, 1)
    elseif within(run, S) then
      count(S, -1)
      S = merge(S, run)
      if P and S[1] - P[2] <= gap then
        count(P, -1)
        S = merge(P, S)
        P = nil
      end
      count(S, 1)
    elseif P and within(run, P) then
      count(P, -1)
      P = merge(P, run)
      if S[1] - P[2] <= gap then
        count(S, -1)
        S = merge(P, S)
        P = nil
        count(S, 1)
      else
        count(P, 1)
      end
    else
      sums.stragglers = sums.stragglers + 1
    end
  end
  return P and (encode(S) .. '|' .. encode(P)) or encode(S)
end
local ss = delta.ss
local i = 1
while i <= #ss do
  local client, n = ss[i], ss[i + 1]
  local first, last, pages = ss[i + 2], ss[i + 3], ss[i + 4]
  -- the common case, a client new to the day with one run, costs one HSETNX
  if n == 1 and redis.call('HSETNX', KEYS[9], client, first .. '|' .. last .. '|' .. pages) == 1 then
    countRun(tonumber(first), tonumber(last), pages, 1)
  else
    local runs = {}
    for k = 0, n - 1 do
      local at = i + 2 + 3 * k
      runs[#runs + 1] = {ss[at], ss[at + 1], ss[at + 2]}
    end
    redis.call('HSET', KEYS[9], client, place(redis.call('HGET', KEYS[9], client), runs))
  end
  i = i + 2 + 3 * n
end
local function incr(field, by)
  if by ~= 0 then
    redis.call('HINCRBY', counters, field, string.format('%d', by))
  end
end
incr('sessions', sums.sessions)
incr('session_ms', sums.ms)
incr('session_pages', sums.pages)
incr('session_bounces', sums.bounces)
incr('session_stragglers', sums.stragglers)
for bucket, by in pairs(lengths) do
  incr('session_len:' .. bucket, by)
end

if redis.call('EXISTS', KEYS[8]) == 1 and delta.c.events then
  redis.call('HINCRBY', counters, 'late_events', delta.c.events)
end

redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
local ttl = tonumber(ARGV[5])
for i = 1, 7 do
  redis.call('EXPIRE', KEYS[i], ttl)
end
redis.call('EXPIRE', KEYS[9], ttl)
return {1, ARGV[2], duplicates}
