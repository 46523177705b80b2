--[[
  Counter helpers shared by the day scripts.
]]
-- HINCRBY of an integer kept exact: Lua numbers are doubles, printed in exponent form when large.
local function incrCounter(key, field, by)
  if by ~= 0 then
    redis.call('HINCRBY', key, field, string.format('%d', by))
  end
end

-- How many members, fields or clients one command carries: Lua's unpack has a stack limit.
local CHUNK = 1000

-- SADD in chunks.
local function addAll(key, members)
  local n = #members
  for i = 1, n, CHUNK do
    redis.call('SADD', key, unpack(members, i, math.min(i + CHUNK - 1, n)))
  end
end
