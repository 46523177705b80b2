--[[
  First touch: a client's channel is that of its earliest event of the day;
  channel counts follow it. A client new to the day (the common case) costs
  one HSETNX.

  firstTouchKey: hash client -> "ts|channel"; touches: {client, ts, channel}.
  Returns the change of each channel's client count.
]]
local function applyFirstTouch(firstTouchKey, touches)
  local channels = {}
  local function bump(channel, by)
    channels[channel] = (channels[channel] or 0) + by
  end
  for _, f in ipairs(touches) do
    local client, ts, channel = f[1], f[2], f[3]
    if redis.call('HSETNX', firstTouchKey, client, ts .. '|' .. channel) == 1 then
      bump(channel, 1)
    else
      local old = redis.call('HGET', firstTouchKey, client)
      local sep = string.find(old, '|', 1, true)
      if tonumber(ts) < tonumber(string.sub(old, 1, sep - 1)) then
        local oldChannel = string.sub(old, sep + 1)
        redis.call('HSET', firstTouchKey, client, ts .. '|' .. channel)
        if oldChannel ~= channel then
          bump(oldChannel, -1)
          bump(channel, 1)
        end
      end
    end
  end
  return channels
end
