-- The limiter's admission decision (and its peek), atomic because Redis runs one script at a time: every check of
-- a request is tested, and only if all have room are they all taken. Semantics mirror src/limits/memory-limiter.ts
-- down to retryAfterMs. `now` comes from the caller so tests control time and every replica applies one formula.
--
-- KEYS, per check in order (all under the request's one hash tag, so a Redis Cluster runs this on one node):
--   window      → log (ZSET id → admitted at), amounts (HASH id → amount), sum (STRING, the amounts' total)
--   concurrency → holds (ZSET id → hold ends at)
--   counter     → HASH { value, resetAt }
--   bucket      → HASH { tokens, at } (tokens may be fractional: refill is continuous)
-- ARGV: mode ('admit' | 'peek'), now, id, margin (ms added to window/hold TTLs), day (ms), and the checks packed
--   as "kind,limit,windowMs,resetAt,amount;…" (kind 'w' | 'v' | 'c' | 'b' | 't'; 'v' a window counted in slots).
-- Amounts and limits are integers (the adapter rounds them): INCRBY/HINCRBY keep sums exact, no float drift.
-- Returns integers only: admitted {1, remaining, resetAt, ...}; refused {0, index (1-based), retryAfterMs,
-- remaining, resetAt, ...} (nothing taken); peek {2, remaining, resetAt, ...}.
local mode = ARGV[1]
local now = tonumber(ARGV[2])
local id = ARGV[3]
local margin = tonumber(ARGV[4])
local day = tonumber(ARGV[5])

-- redis.call gives false for a missing value.
local function num(v)
  if v then return tonumber(v) or 0 end
  return 0
end

-- unpack() has a bounded C stack: large id lists go to HMGET/HDEL in chunks.
local CHUNK = 500

-- The checks come packed in ARGV[6], "kind,limit,windowMs,resetAt,amount" each, ";" between: one argument instead
-- of five per check, which is most of what the client spends encoding a call.
local checks = {}
local k = 1
local n = 0
for spec in string.gmatch(ARGV[6] or '', '[^;]+') do
  local kind, limit, windowMs, resetAt, amount = string.match(spec, '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
  n = n + 1
  local c = { kind = kind, limit = tonumber(limit), windowMs = tonumber(windowMs), resetAt = tonumber(resetAt), amount = tonumber(amount), k = k }
  if c.kind == 'w' or c.kind == 'v' then k = k + 3 else k = k + 1 end
  checks[n] = c
end

-- Loads each check's state, dropping what has left it (as the memory adapter's prune does, on peek too).
local function load(c)
  if c.kind == 'w' or c.kind == 'v' then
    local log, amts, sumk = KEYS[c.k], KEYS[c.k + 1], KEYS[c.k + 2]
    local from = now - c.windowMs
    local sum = num(redis.call('GET', sumk))
    local gone = redis.call('ZRANGEBYSCORE', log, '-inf', from)
    if #gone > 0 then
      local freed = 0
      for s = 1, #gone, CHUNK do
        local ids = {}
        for j = s, math.min(s + CHUNK - 1, #gone) do ids[#ids + 1] = gone[j] end
        local amounts = redis.call('HMGET', amts, unpack(ids))
        for j = 1, #amounts do freed = freed + num(amounts[j]) end
        redis.call('HDEL', amts, unpack(ids))
      end
      redis.call('ZREMRANGEBYSCORE', log, '-inf', from)
      sum = sum - freed
      -- INCRBY, not SET: SET would drop the key's TTL.
      if freed ~= 0 then redis.call('INCRBY', sumk, -freed) end
    end
    -- An empty log holds nothing, whatever the sum says (it cannot drift past the last entry's departure).
    if sum ~= 0 and redis.call('ZCARD', log) == 0 then
      redis.call('DEL', log, amts, sumk)
      sum = 0
    end
    c.sum = sum
  elseif c.kind == 'c' then
    local holds = KEYS[c.k]
    redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
    c.card = redis.call('ZCARD', holds)
  elseif c.kind == 't' then
    local stored = redis.call('HMGET', KEYS[c.k], 'tokens', 'at')
    if not stored[1] or c.windowMs <= 0 then
      c.tokens = c.limit
    else
      c.tokens = math.min(c.limit, tonumber(stored[1]) + (now - tonumber(stored[2])) * c.limit / c.windowMs)
    end
  else
    local key = KEYS[c.k]
    local stored = redis.call('HMGET', key, 'value', 'resetAt')
    if not stored[2] then
      c.value = 0
      c.stored = c.resetAt
    else
      c.value = num(stored[1])
      c.stored = tonumber(stored[2])
      -- A counter of a period that has ended starts again from 0 with the new period.
      if c.resetAt ~= c.stored and now >= c.stored then
        c.value = 0
        c.stored = c.resetAt
        redis.call('HSET', key, 'value', 0, 'resetAt', c.resetAt)
      end
    end
  end
end

-- nil: room; otherwise the ms until there will be.
local function retry(c)
  if c.kind == 'w' or c.kind == 'v' then
    if c.sum + c.amount <= c.limit then return nil end
    if c.amount > c.limit then return c.windowMs end
    -- When enough of the oldest entries leave for this amount to fit. Entries admitted in the same ms sort by id,
    -- not by arrival, but they leave together, so the answer is the memory adapter's.
    local log, amts = KEYS[c.k], KEYS[c.k + 1]
    local freed = 0
    local start = 0
    while true do
      local page = redis.call('ZRANGE', log, start, start + CHUNK - 1, 'WITHSCORES')
      if #page == 0 then break end
      local ids = {}
      for j = 1, #page, 2 do ids[#ids + 1] = page[j] end
      local amounts = redis.call('HMGET', amts, unpack(ids))
      for j = 1, #ids do
        freed = freed + num(amounts[j])
        if c.sum - freed + c.amount <= c.limit then return math.max(1, tonumber(page[2 * j]) + c.windowMs - now) end
      end
      start = start + CHUNK
    end
    return c.windowMs
  elseif c.kind == 'c' then
    if c.card + 1 <= c.limit then return nil end
    return math.min(1000, c.windowMs)
  elseif c.kind == 't' then
    if c.tokens >= c.amount then return nil end
    if c.amount > c.limit then return c.windowMs end
    return math.max(1, math.ceil((c.amount - c.tokens) * c.windowMs / c.limit))
  end
  if c.value + c.amount <= c.limit then return nil end
  return math.max(1, c.stored - now)
end

local function take(c)
  if c.kind == 'v' then
    -- A slotted window (limit above LOG_MAX_LIMIT): one member per slot, scored by the slot's last ms, so it leaves
    -- the window when that ms has; its amount only grows. Slot length as in src/limits/limiter.ts slotMsOf.
    local log, amts, sumk = KEYS[c.k], KEYS[c.k + 1], KEYS[c.k + 2]
    local slotMs = math.max(1, math.ceil(c.windowMs / 60))
    local slot = math.floor(now / slotMs)
    local member = 's' .. slot
    redis.call('ZADD', log, (slot + 1) * slotMs - 1, member)
    redis.call('HINCRBY', amts, member, c.amount)
    redis.call('INCRBY', sumk, c.amount)
    c.sum = c.sum + c.amount
    local ttl = c.windowMs + slotMs + margin
    redis.call('PEXPIRE', log, ttl)
    redis.call('PEXPIRE', amts, ttl)
    redis.call('PEXPIRE', sumk, ttl)
  elseif c.kind == 'w' then
    local log, amts, sumk = KEYS[c.k], KEYS[c.k + 1], KEYS[c.k + 2]
    -- The same id again replaces its entry (a ZSET member is unique) instead of counting an orphan amount.
    local old = num(redis.call('HGET', amts, id))
    redis.call('ZADD', log, now, id)
    redis.call('HSET', amts, id, c.amount)
    redis.call('INCRBY', sumk, c.amount - old)
    c.sum = c.sum + c.amount - old
    local ttl = c.windowMs + margin
    redis.call('PEXPIRE', log, ttl)
    redis.call('PEXPIRE', amts, ttl)
    redis.call('PEXPIRE', sumk, ttl)
  elseif c.kind == 'c' then
    local holds = KEYS[c.k]
    redis.call('ZADD', holds, now + c.windowMs, id)
    c.card = redis.call('ZCARD', holds)
    redis.call('PEXPIRE', holds, c.windowMs + margin)
  elseif c.kind == 't' then
    c.tokens = c.tokens - c.amount
    -- A full-precision string: tostring() would keep 14 digits only.
    redis.call('HSET', KEYS[c.k], 'tokens', string.format('%.17g', c.tokens), 'at', now)
    redis.call('PEXPIRE', KEYS[c.k], c.windowMs + margin)
  else
    local key = KEYS[c.k]
    c.value = redis.call('HINCRBY', key, 'value', c.amount)
    redis.call('HSET', key, 'resetAt', c.stored)
    -- A day past the period's end (as PEXPIREAT resetAt + day would, but relative to the caller's clock, so an
    -- injected clock or a counter without a period never sets a deadline already past).
    redis.call('PEXPIRE', key, math.max(0, c.stored - now) + day)
  end
end

local function figures(out, c)
  if c.kind == 'w' or c.kind == 'v' then
    local oldest = redis.call('ZRANGE', KEYS[c.k], 0, 0, 'WITHSCORES')
    local at = now
    if oldest[2] then at = tonumber(oldest[2]) end
    out[#out + 1] = math.max(0, c.limit - c.sum)
    out[#out + 1] = at + c.windowMs
  elseif c.kind == 'c' then
    out[#out + 1] = math.max(0, c.limit - c.card)
    out[#out + 1] = now
  elseif c.kind == 't' then
    out[#out + 1] = math.max(0, math.floor(c.tokens))
    out[#out + 1] = now + math.ceil((c.limit - c.tokens) * c.windowMs / c.limit)
  else
    out[#out + 1] = math.max(0, c.limit - c.value)
    out[#out + 1] = c.stored
  end
end

for i = 1, n do load(checks[i]) end

if mode == 'peek' then
  local out = { 2 }
  for i = 1, n do figures(out, checks[i]) end
  return out
end

for i = 1, n do
  local wait = retry(checks[i])
  if wait then
    local out = { 0, i, wait }
    for j = 1, n do figures(out, checks[j]) end
    return out
  end
end

local out = { 1 }
for i = 1, n do
  take(checks[i])
  figures(out, checks[i])
end
return out
