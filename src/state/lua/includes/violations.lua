--[[
  Tracking-plan violations of a batch, merged into the day's `contract` hash.

  Per triple ("event\tpath\trule"): "n|" events, "f|" first and "l|" last event
  time (ms), "s|" up to maxSamples Kafka coordinates (comma-separated, first
  consumed first). "triples" counts the distinct triples; past maxTriples a
  new triple counts under OVERFLOW_TRIPLE instead, so a hostile sender cannot
  grow the day without bound.

  key: the contract hash; violations: {triple, events, firstMs, lastMs, {samples}}.
]]
local OVERFLOW_TRIPLE = '*\t*\toverflow'

local function applyViolations(key, violations, maxTriples, maxSamples)
  for _, v in ipairs(violations) do
    local triple = v[1]
    if redis.call('HEXISTS', key, 'n|' .. triple) == 0 and triple ~= OVERFLOW_TRIPLE then
      if tonumber(redis.call('HGET', key, 'triples') or '0') >= maxTriples then
        triple = OVERFLOW_TRIPLE
      else
        redis.call('HINCRBY', key, 'triples', 1)
      end
    end
    redis.call('HINCRBY', key, 'n|' .. triple, v[2])
    local first = redis.call('HGET', key, 'f|' .. triple)
    if not first or tonumber(v[3]) < tonumber(first) then
      redis.call('HSET', key, 'f|' .. triple, v[3])
    end
    local last = redis.call('HGET', key, 'l|' .. triple)
    if not last or tonumber(v[4]) > tonumber(last) then
      redis.call('HSET', key, 'l|' .. triple, v[4])
    end
    local stored = redis.call('HGET', key, 's|' .. triple)
    local kept = 0
    if stored then
      kept = select(2, string.gsub(stored, ',', ',')) + 1
    end
    local more = {}
    for _, sample in ipairs(v[5]) do
      if kept + #more >= maxSamples then
        break
      end
      more[#more + 1] = sample
    end
    if #more > 0 then
      local joined = table.concat(more, ',')
      redis.call('HSET', key, 's|' .. triple, stored and (stored .. ',' .. joined) or joined)
    end
  end
end
