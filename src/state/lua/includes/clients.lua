--[[
  A day's clients: one field per client holding its first touch and its latest
  sessions, so that a client new to the day (the common case) costs one field
  read and one written. The slice's clients are read with one HMGET and
  written with one HSET per CHUNK (counters.lua). The per-client arithmetic
  of a client new to the day is done by the caller (clients-codec.ts).

  First touch: a client's channel is that of its earliest event of the day;
  channel counts follow it.

  Sessions: a client's run of events with gaps of at most `gap` ms; it belongs
  to the day it starts (the day's keys hold it, so one crossing midnight is cut
  there). Per client the latest session S and the one before it P are kept;
  day counters hold the sums. A run merges with S or P when within the gap of
  it (bridging P and S when it closes the gap between them), so events
  arriving out of order by up to one gap are placed exactly. A run older than
  both is a straggler: counted, left out (its time still moves the first touch).

  Stored value: "n|first|start|length|pages[|start|length|pages]|channel": n
  (0–2) sessions kept (S, then P), the first touch's time (empty when it is
  the start of the older session kept, as for nearly every client), the
  sessions, and the first touch's channel last (a channel name may hold any
  character). Times are ms since the day's base (clients-codec.ts), lengths
  ms: short numbers, for a field kept per client and day.
]]

-- The numbers of a "|"-separated list ("1|2|3" -> {1, 2, 3}).
local function numbersOf(text)
  local v = {}
  for n in string.gmatch(text, '[^|]+') do
    v[#v + 1] = tonumber(n)
  end
  return v
end

-- A stored value as first-touch time, channel, S and P ({start, last, pages}, or nil).
local function decodeClient(value)
  local n = tonumber(string.sub(value, 1, 1))
  local nums = {}
  local pos = 3
  for k = 1, 1 + 3 * n do
    local sep = string.find(value, '|', pos, true)
    nums[k] = tonumber(string.sub(value, pos, sep - 1))
    pos = sep + 1
  end
  local S = n >= 1 and {nums[2], nums[2] + nums[3], nums[4]} or nil
  local P = n == 2 and {nums[5], nums[5] + nums[6], nums[7]} or nil
  local first = nums[1] or (P or S)[1]
  return first, string.sub(value, pos), S, P
end

local function encodeClient(first, channel, S, P)
  local oldest = P or S
  local shown = (oldest and oldest[1] == first) and '' or string.format('%d', first)
  if P then
    return string.format('2|%s|%d|%d|%d|%d|%d|%d|', shown, S[1], S[2] - S[1], S[3], P[1], P[2] - P[1], P[3])
      .. channel
  elseif S then
    return string.format('1|%s|%d|%d|%d|', shown, S[1], S[2] - S[1], S[3]) .. channel
  end
  return string.format('0|%s|', shown) .. channel
end

--[[
  Before the one-field layout, a day kept first touches ("ts|channel") and
  sessions ("start|last|pages[|start|last|pages]"), in ms since the epoch, in
  two hashes. A day still in that layout (written by an earlier version,
  within its TTL) is moved into the clients hash once, in the script that
  next writes it, and the two hashes are deleted. Remove with the legacy keys
  once no day older than the upgrade can be written (the day keys' TTL after
  it). base: the day's base in ms since the epoch.
]]
local function migrateLegacyClients(clientsKey, legacyFirstTouchKey, legacySessionsKey, base)
  if redis.call('EXISTS', legacyFirstTouchKey) == 0 then
    return
  end
  local touches = redis.call('HGETALL', legacyFirstTouchKey)
  local sessions = {}
  local stored = redis.call('HGETALL', legacySessionsKey)
  for i = 1, #stored, 2 do
    sessions[stored[i]] = stored[i + 1]
  end
  local writes = {}
  for i = 1, #touches, 2 do
    local client, touch = touches[i], touches[i + 1]
    local sep = string.find(touch, '|', 1, true)
    local first, channel = tonumber(string.sub(touch, 1, sep - 1)) - base, string.sub(touch, sep + 1)
    local S, P
    if sessions[client] then
      local v = numbersOf(sessions[client])
      for k = 1, #v, 3 do
        v[k], v[k + 1] = v[k] - base, v[k + 1] - base
      end
      S = {v[1], v[2], v[3]}
      if v[4] then
        P = {v[4], v[5], v[6]}
      end
    end
    writes[#writes + 1] = client
    writes[#writes + 1] = encodeClient(first, channel, S, P)
    if #writes >= 2 * CHUNK then
      redis.call('HSET', clientsKey, unpack(writes))
      writes = {}
    end
  end
  if #writes > 0 then
    redis.call('HSET', clientsKey, unpack(writes))
  end
  redis.call('DEL', legacyFirstTouchKey, legacySessionsKey)
end

--[[
  clientsKey: the clients hash; cl: the slice's clients, flat: client and the
  value it would have if new to the day (src/state/clients-codec.ts), one
  entry per client; more: client -> all its runs ("start|last|pages|…", ms
  since the day's base, ascending) when it has more than the two a value keeps; buckets: upper
  bounds in seconds of the length buckets, ascending (longer sessions go to
  "inf").

  The counters were given what the slice's clients add if all are new to the
  day. A client new to the day (the common case) is stored as it came; one
  already stored is merged, and what the caller counted for it is corrected.
  Returns the corrections: per channel, the session sums {sessions, ms, pages,
  bounces, stragglers} and per length bucket.
]]
local function applyClients(clientsKey, cl, more, gap, buckets)
  local channels = {}
  local function bump(channel, by)
    channels[channel] = (channels[channel] or 0) + by
  end
  local sums = {sessions = 0, ms = 0, pages = 0, bounces = 0, stragglers = 0}
  local lengths = {}
  local bucketNames = {}
  for k, upper in ipairs(buckets) do
    bucketNames[k] = tostring(upper)
  end
  local function bucketOf(ms)
    local seconds = ms / 1000
    for k, upper in ipairs(buckets) do
      if seconds <= upper then
        return bucketNames[k]
      end
    end
    return 'inf'
  end
  local function count(s, sign)
    local length = s[2] - s[1]
    sums.sessions = sums.sessions + sign
    sums.ms = sums.ms + sign * length
    sums.pages = sums.pages + sign * s[3]
    if s[3] == 1 then
      sums.bounces = sums.bounces + sign
    end
    local b = bucketOf(length)
    lengths[b] = (lengths[b] or 0) + sign
  end
  local function merge(a, b)
    return {math.min(a[1], b[1]), math.max(a[2], b[2]), a[3] + b[3]}
  end
  local function within(run, s)
    return run[1] <= s[2] + gap and run[2] >= s[1] - gap
  end
  -- Runs (ascending) merged into the latest sessions S and P; returns the new S and P.
  local function place(S, P, runs)
    for _, run in ipairs(runs) do
      if not S then
        S = run
        count(S, 1)
      elseif run[1] > S[2] + gap then
        P = S
        S = run
        count(S, 1)
      elseif within(run, S) then
        count(S, -1)
        S = merge(S, run)
        if P and S[1] - P[2] <= gap then
          count(P, -1)
          S = merge(P, S)
          P = nil
        end
        count(S, 1)
      elseif P and within(run, P) then
        count(P, -1)
        P = merge(P, run)
        if S[1] - P[2] <= gap then
          count(S, -1)
          S = merge(P, S)
          P = nil
          count(S, 1)
        else
          count(P, 1)
        end
      else
        sums.stragglers = sums.stragglers + 1
      end
    end
    return S, P
  end
  -- A stored client merged with the slice's value for it; the caller's as-new counts taken back.
  local function merged(client, stored, value)
    local first, channel, newS, newP = decodeClient(value)
    local runs
    if more[client] then
      runs = {}
      local v = numbersOf(more[client])
      for r = 1, #v, 3 do
        runs[#runs + 1] = {v[r], v[r + 1], v[r + 2]}
      end
    else
      runs = newP and {newP, newS} or {newS}
    end
    for _, run in ipairs(runs) do
      count(run, -1)
    end
    local storedFirst, storedChannel, S, P = decodeClient(stored)
    if first < storedFirst then
      -- the first touch moves to this slice: its channel was counted, the stored one goes
      bump(storedChannel, -1)
    else
      bump(channel, -1)
      first, channel = storedFirst, storedChannel
    end
    S, P = place(S, P, runs)
    return encodeClient(first, channel, S, P)
  end

  local n = #cl / 2
  for from = 1, n, CHUNK do
    local to = math.min(from + CHUNK - 1, n)
    local clients = {}
    for i = from, to do
      clients[#clients + 1] = cl[2 * i - 1]
    end
    local stored = redis.call('HMGET', clientsKey, unpack(clients))
    local writes = {}
    for i = from, to do
      local client, value = cl[2 * i - 1], cl[2 * i]
      local old = stored[i - from + 1]
      writes[#writes + 1] = client
      writes[#writes + 1] = old and merged(client, old, value) or value
    end
    redis.call('HSET', clientsKey, unpack(writes))
  end
  return channels, sums, lengths
end
