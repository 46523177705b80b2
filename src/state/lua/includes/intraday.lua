--[[
  Intraday slots of a batch (see src/state/intraday-codec.ts for the fields):
  counts are added; a slot's first event time only moves back, its last
  only forward.

  key: the day's intraday hash; counts: field -> increment; mins, maxes: field -> ms (string).
]]
local function moveTo(key, field, ms, later)
  local current = redis.call('HGET', key, field)
  if not current or (later and tonumber(current) < tonumber(ms)) or (not later and tonumber(current) > tonumber(ms)) then
    redis.call('HSET', key, field, ms)
  end
end

local function applyIntraday(key, counts, mins, maxes)
  for field, by in pairs(counts) do
    redis.call('HINCRBY', key, field, by)
  end
  for field, ms in pairs(mins) do
    moveTo(key, field, ms, false)
  end
  for field, ms in pairs(maxes) do
    moveTo(key, field, ms, true)
  end
end
