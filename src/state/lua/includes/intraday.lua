--[[
  Intraday slots of a batch (see src/state/intraday-codec.ts for the fields):
  counts are added; a type's latest event time only moves forward.

  key: the day's intraday hash; counts: field -> increment; last: type -> ms (string).
]]
local function applyIntraday(key, counts, last)
  for field, by in pairs(counts) do
    redis.call('HINCRBY', key, field, by)
  end
  for eventType, ms in pairs(last) do
    local field = 'l\t' .. eventType
    local current = redis.call('HGET', key, field)
    if not current or tonumber(current) < tonumber(ms) then
      redis.call('HSET', key, field, ms)
    end
  end
end
