--[[
  Record one run's sightings of a day's intraday alerts: for each alert the
  earliest sighting is its first and the latest its last, in whatever order
  runs write (a backfill writes after the scheduler did, or before).

  KEYS[1]  the day's intraday alerts (hash)
  ARGV[1]  TTL (seconds) of the hash
  ARGV[2…] triples: the alert's key, the run's time (ISO 8601 UTC with
           milliseconds, fixed width, so it compares as text), the sighting
  Fields per alert: first\t<key>, firstAt\t<key>, last\t<key>, lastAt\t<key>.
  A first kept before the times were (no firstAt) stays first, as it did.
]]
local hash = KEYS[1]
for i = 2, #ARGV, 3 do
  local key, at, text = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local firstAt = redis.call('HGET', hash, 'firstAt\t' .. key)
  if (firstAt and at < firstAt) or (not firstAt and redis.call('HEXISTS', hash, 'first\t' .. key) == 0) then
    redis.call('HSET', hash, 'first\t' .. key, text, 'firstAt\t' .. key, at)
  end
  local lastAt = redis.call('HGET', hash, 'lastAt\t' .. key)
  if not lastAt or at >= lastAt then
    redis.call('HSET', hash, 'last\t' .. key, text, 'lastAt\t' .. key, at)
  end
end
redis.call('EXPIRE', hash, tonumber(ARGV[1]))
return 0
