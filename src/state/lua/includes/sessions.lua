--[[
  Sessions: a client's run of events with gaps of at most `gap` ms; it belongs
  to the day it starts (the day's keys hold it, so one crossing midnight is cut
  there). Per client the latest session S and the one before it P are kept as
  "start|last|pages[|start|last|pages]"; day counters hold the sums. A run merges
  with S or P when within the gap of it (bridging P and S when it closes the
  gap between them), so events arriving out of order by up to one gap are
  placed exactly. A run older than both is a straggler: counted, left out.

  sessionsKey: hash client -> sessions; ss: the delta's flat runs (client, run
  count, then start, last, pages per run; one entry per client); buckets: upper bounds in seconds of
  the length buckets, ascending (longer sessions go to "inf").
  Returns sums {sessions, ms, pages, bounces, stragglers} and counts per bucket.
]]
local function applySessions(sessionsKey, ss, gap, buckets)
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
  local function countRun(start, last, pages, sign)
    local length = last - start
    sums.sessions = sums.sessions + sign
    sums.ms = sums.ms + sign * length
    sums.pages = sums.pages + sign * pages
    if pages == 1 then
      sums.bounces = sums.bounces + sign
    end
    local b = bucketOf(length)
    lengths[b] = (lengths[b] or 0) + sign
  end
  local function count(s, sign)
    countRun(s[1], s[2], s[3], sign)
  end
  local function merge(a, b)
    return {math.min(a[1], b[1]), math.max(a[2], b[2]), a[3] + b[3]}
  end
  local function within(run, s)
    return run[1] <= s[2] + gap and run[2] >= s[1] - gap
  end
  local function encode(s)
    return string.format('%d|%d|%d', s[1], s[2], s[3])
  end
  -- A client's runs merged into its stored sessions; returns the new stored value.
  local function place(stored, runs)
    local S, P
    if stored then
      local v = {}
      for n in string.gmatch(stored, '[^|]+') do
        v[#v + 1] = tonumber(n)
      end
      S = {v[1], v[2], v[3]}
      if v[4] then
        P = {v[4], v[5], v[6]}
      end
    end
    for _, r in ipairs(runs) do
      local run = {tonumber(r[1]), tonumber(r[2]), tonumber(r[3])}
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
    return P and (encode(S) .. '|' .. encode(P)) or encode(S)
  end
  -- The slice's clients are read with one HMGET and written with one HSET
  -- per chunk: a client new to the day with one run (the common case) costs a
  -- field in each, not a command.
  local i = 1
  while i <= #ss do
    local starts, clients = {}, {}
    while i <= #ss and #clients < CHUNK do
      starts[#starts + 1] = i
      clients[#clients + 1] = ss[i]
      i = i + 2 + 3 * ss[i + 1]
    end
    local stored = redis.call('HMGET', sessionsKey, unpack(clients))
    local writes = {}
    for k, at in ipairs(starts) do
      local client, n = ss[at], ss[at + 1]
      local value
      if n == 1 and not stored[k] then
        local first, last, pages = ss[at + 2], ss[at + 3], ss[at + 4]
        value = first .. '|' .. last .. '|' .. pages
        countRun(tonumber(first), tonumber(last), pages, 1)
      else
        local runs = {}
        for r = 0, n - 1 do
          local run = at + 2 + 3 * r
          runs[#runs + 1] = {ss[run], ss[run + 1], ss[run + 2]}
        end
        value = place(stored[k] or nil, runs)
      end
      writes[#writes + 1] = client
      writes[#writes + 1] = value
    end
    redis.call('HSET', sessionsKey, unpack(writes))
  end
  return sums, lengths
end
