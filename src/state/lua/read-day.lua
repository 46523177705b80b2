--[[
  One consistent snapshot of a day's state for the close-out and the gauges.
  Its cost does not depend on the day's event count: counters are one small
  hash, and the set sizes are O(1).

  KEYS: by name in K (see src/state/keys.ts, READ_DAY_KEYS).

  Returns {counters as a flat field/value list, clients, atc, checkout, purchase, closed,
  tracking-plan violations as a flat field/value list}
]]
return {
  redis.call('HGETALL', K.counters),
  -- a day not written since the clients hash came (keys.ts) still counts them in its first touches
  redis.call('HLEN', K.clients) + redis.call('HLEN', K.legacyFirstTouch),
  redis.call('SCARD', K.atc),
  redis.call('SCARD', K.checkout),
  redis.call('SCARD', K.purchase),
  redis.call('EXISTS', K.summary),
  redis.call('HGETALL', K.contract),
}
