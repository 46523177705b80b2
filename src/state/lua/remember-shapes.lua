--[[
  Remember field sets and schema ids seen in a namespace, bounded: each kept
  with the time it was last seen, forgotten after the TTL, and no more than
  the cap at once (shapes past it are not kept and counted as untracked).

  KEYS[1]  the namespace's shapes (sorted set: shape -> last seen, ms)
  ARGV[1]  now (ms)
  ARGV[2]  TTL (seconds): a shape not seen for this long is forgotten, and the key expires
  ARGV[3]  cap: shapes kept at most
  ARGV[4…] the shapes of a batch

  Returns {first, untracked, new shape…}: first is 1 when the namespace had no
  shapes (its first shapes are its baseline, not a change).
]]
local key = KEYS[1]
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])

-- the earlier layout kept every shape ever seen in a plain set: start again from a baseline
if redis.call('TYPE', key).ok == 'set' then redis.call('DEL', key) end
local first = redis.call('EXISTS', key) == 0 and 1 or 0
redis.call('ZREMRANGEBYSCORE', key, '-inf', '(' .. (now - ttl * 1000))
local size = redis.call('ZCARD', key)
local reply = {first, 0}
for i = 4, #ARGV do
  local shape = ARGV[i]
  if redis.call('ZSCORE', key, shape) then
    redis.call('ZADD', key, now, shape)
  elseif size < cap then
    redis.call('ZADD', key, now, shape)
    size = size + 1
    reply[#reply + 1] = shape
  else
    reply[2] = reply[2] + 1
  end
end
if size > 0 then redis.call('EXPIRE', key, ttl) end
return reply
