--[[
  First touch: a client's channel is that of its earliest event of the day;
  channel counts follow it. The slice's clients are read with one HMGET and
  written with one HSET per CHUNK (counters.lua), not a command each: a client new to the
  day (the common case) costs a field in each.

  firstTouchKey: hash client -> "ts|channel"; touches: flat, client, ts,
  channel for each client of the slice (one entry per client).
  Returns the change of each channel's client count.
]]
local function applyFirstTouch(firstTouchKey, touches)
  local channels = {}
  local function bump(channel, by)
    channels[channel] = (channels[channel] or 0) + by
  end
  local n = #touches / 3
  for from = 1, n, CHUNK do
    local to = math.min(from + CHUNK - 1, n)
    local clients = {}
    for i = from, to do
      clients[#clients + 1] = touches[3 * i - 2]
    end
    local stored = redis.call('HMGET', firstTouchKey, unpack(clients))
    local writes = {}
    for i = from, to do
      local client, ts, channel = touches[3 * i - 2], touches[3 * i - 1], touches[3 * i]
      local old = stored[i - from + 1]
      if not old then
        writes[#writes + 1] = client
        writes[#writes + 1] = ts .. '|' .. channel
        bump(channel, 1)
      else
        local sep = string.find(old, '|', 1, true)
        if tonumber(ts) < tonumber(string.sub(old, 1, sep - 1)) then
          local oldChannel = string.sub(old, sep + 1)
          writes[#writes + 1] = client
          writes[#writes + 1] = ts .. '|' .. channel
          if oldChannel ~= channel then
            bump(oldChannel, -1)
            bump(channel, 1)
          end
        end
      end
    end
    if #writes > 0 then
      redis.call('HSET', firstTouchKey, unpack(writes))
    end
  end
  return channels
end
