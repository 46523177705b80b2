--[[
  One consistent snapshot of a day's state for the close-out and the gauges.
  Its cost does not depend on the day's event count: counters are one small
  hash, and the set sizes are O(1).

  KEYS[1] counters  KEYS[2] first touch  KEYS[3] funnel:atc
  KEYS[4] funnel:checkout  KEYS[5] funnel:purchase  KEYS[6] summary

  Returns {counters as a flat field/value list, clients, atc, checkout, purchase, closed}
]]
return {
  redis.call('HGETALL', KEYS[1]),
  redis.call('HLEN', KEYS[2]),
  redis.call('SCARD', KEYS[3]),
  redis.call('SCARD', KEYS[4]),
  redis.call('SCARD', KEYS[5]),
  redis.call('EXISTS', KEYS[6]),
}
