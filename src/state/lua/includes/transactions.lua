--[[
  Transactions of a batch against the day's (and the look-back's) ids.

  A transaction id seen before on this day (or on an earlier day of the
  look-back, which the caller read) is a duplicate:
  its revenue stays in `revenue_cents` (as tracked). The deduplicated revenue
  counts each id once, at its earliest occurrence by timestamp, so it does not
  depend on the order partitions are consumed in. HSETNX first: a new id (the
  common case) costs one call; sums are written once, by the caller.

  txKey: hash id -> "ts|cents"; seenEarlier: set of ids earlier days hold;
  txs: {id, ts, cents} triples. Returns duplicates, dedupCents.
]]
local function applyTransactions(txKey, seenEarlier, txs)
  local duplicates = 0
  local dedupCents = 0
  for _, t in ipairs(txs) do
    local id, ts, cents = t[1], t[2], t[3]
    if redis.call('HSETNX', txKey, id, ts .. '|' .. cents) == 1 then
      if seenEarlier[id] then
        duplicates = duplicates + 1
      else
        dedupCents = dedupCents + tonumber(cents)
      end
    else
      duplicates = duplicates + 1
      local old = redis.call('HGET', txKey, id)
      local sep = string.find(old, '|', 1, true)
      if tonumber(ts) < tonumber(string.sub(old, 1, sep - 1)) then
        dedupCents = dedupCents + tonumber(cents) - tonumber(string.sub(old, sep + 1))
        redis.call('HSET', txKey, id, ts .. '|' .. cents)
      end
    end
  end
  return duplicates, dedupCents
end
