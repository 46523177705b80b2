--[[
  Counter helpers shared by the day scripts.
]]
-- HINCRBY of an integer kept exact: Lua numbers are doubles, printed in exponent form when large.
local function incrCounter(key, field, by)
  if by ~= 0 then
    redis.call('HINCRBY', key, field, string.format('%d', by))
  end
end

-- SADD in chunks: Lua's unpack has a stack limit.
local function addAll(key, members)
  local n = #members
  for i = 1, n, 1000 do
    redis.call('SADD', key, unpack(members, i, math.min(i + 999, n)))
  end
end
