--[[
  The event ids a day counted: a set, so that an event delivered again (a
  producer's retry, on any partition or offset) is counted once. Ids go in
  chunks: Lua's unpack has a stack limit.
]]
local ID_CHUNK = 1000

--- The ids of `ids` the set already holds.
local function seenEventIds(key, ids)
  local seen = {}
  for i = 1, #ids, ID_CHUNK do
    local chunk = {unpack(ids, i, math.min(i + ID_CHUNK - 1, #ids))}
    local found = redis.call('SMISMEMBER', key, unpack(chunk))
    for j = 1, #found do
      if found[j] == 1 then
        seen[#seen + 1] = chunk[j]
      end
    end
  end
  return seen
end

local function rememberEventIds(key, ids)
  for i = 1, #ids, ID_CHUNK do
    redis.call('SADD', key, unpack(ids, i, math.min(i + ID_CHUNK - 1, #ids)))
  end
end
