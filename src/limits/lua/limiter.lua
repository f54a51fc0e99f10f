-- The shared limiter (src/limits/redis-limiter.ts), one script for a batch of operations of one hash tag — the
-- admissions, settlements and peeks one replica queued in one turn of its event loop — run atomically because Redis
-- runs one script at a time. Each admission tests every check of its request and takes all of them only if all
-- have room, so replicas never race between check and take; batching only saves round trips and never mixes two
-- requests' decisions. Semantics mirror src/limits/memory-limiter.ts down to retryAfterMs. `now` comes from the
-- caller so tests control time and every replica applies one formula.
--
-- KEYS: every key the batch touches, each once (all under one hash tag, so a Redis Cluster runs this on one node):
--   window      → log (ZSET id → admitted at), amounts (HASH id → amount), sum (STRING, the amounts' total);
--                 counted in slots: one HASH (see loadSlots)
--   concurrency → holds (ZSET id → hold ends at)
--   counter     → HASH { value, resetAt }
--   bucket      → HASH { tokens, at } (tokens may be fractional: refill is continuous)
-- ARGV: now, margin (ms added to window/hold TTLs), day (ms), and the operations, one line each: op ('a' admit,
--   'p' peek, 's' settle), the request id and its checks packed (see parse and settle), tab-separated; kind
--   'w' | 'v' | 'c' | 'b' | 't', 'v' a window counted in slots. Four arguments however large the batch.
-- Amounts and limits are integers (the adapter rounds them): INCRBY/HINCRBY keep sums exact, no float drift.
-- Returns one line per operation, in order, of integers joined by commas: admitted "1,remaining,resetAt,...";
-- refused "0,index (1-based),retryAfterMs,remaining,resetAt,..." (nothing taken); peek "2,remaining,resetAt,...";
-- settled "3".
local now = tonumber(ARGV[1])
local margin = tonumber(ARGV[2])
local day = tonumber(ARGV[3])

-- redis.call gives false for a missing value.
local function num(v)
  if v then return tonumber(v) or 0 end
  return 0
end

-- unpack() has a bounded C stack: large id lists go to HMGET/HDEL in chunks.
local CHUNK = 500

-- A request's checks come packed in one argument, "kind,limit,windowMs,resetAt,amount,key" each, ";" between: one
-- argument instead of six per check, which is most of what the client spends encoding a call. `key` is the
-- 1-based index in KEYS of the check's first key (an exact window's three are consecutive).
local function parse(packed)
  local checks = {}
  local n = 0
  for spec in string.gmatch(packed, '[^;]+') do
    local kind, limit, windowMs, resetAt, amount, key = string.match(spec, '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
    n = n + 1
    checks[n] = { kind = kind, limit = tonumber(limit), windowMs = tonumber(windowMs), resetAt = tonumber(resetAt), amount = tonumber(amount), k = tonumber(key) }
  end
  return checks, n
end

-- Loads each check's state, dropping what has left it (as the memory adapter's prune does, on peek too).
-- A window counted in slots ('v', a limit above LOG_MAX_LIMIT) is one HASH: a field per slot index with what the
-- slot admitted, 'sum' (their total) and 'first' (the oldest slot held). A slot is counted whole until its last
-- millisecond has left the window, as the memory adapter counts a slot entry; slots are consecutive integers, so
-- what has left is the range first..lastGone, read and deleted in one call each. Slot length as in
-- src/limits/limiter.ts slotMsOf.
local SLOTS = 60

local function slotMsOf(c)
  return math.max(1, math.ceil(c.windowMs / SLOTS))
end

local function loadSlots(c)
  local h = KEYS[c.k]
  c.slotMs = slotMsOf(c)
  local stored = redis.call('HMGET', h, 'sum', 'first')
  local sum, first = num(stored[1]), tonumber(stored[2])
  if first then
    -- Slot s's last ms is (s + 1) * slotMs - 1; it has left once that is at or before now - windowMs.
    local lastGone = math.floor((now - c.windowMs + 1) / c.slotMs) - 1
    local current = math.floor(now / c.slotMs)
    if lastGone >= first then
      if lastGone - first > SLOTS + 1 then
        -- Idle for longer than a window: nothing is left.
        redis.call('DEL', h)
        sum, first = 0, nil
      else
        local gone = {}
        for slot = first, lastGone do gone[#gone + 1] = slot end
        local amounts = redis.call('HMGET', h, unpack(gone))
        local freed = 0
        for j = 1, #amounts do freed = freed + num(amounts[j]) end
        redis.call('HDEL', h, unpack(gone))
        sum = sum - freed
        -- The new oldest slot: the first of the rest that is held (a slot settled to 0 still is).
        first = nil
        if current > lastGone then
          local rest = {}
          for slot = lastGone + 1, current do rest[#rest + 1] = slot end
          local held = redis.call('HMGET', h, unpack(rest))
          for j = 1, #held do
            if held[j] then first = lastGone + j break end
          end
        end
        if first then
          redis.call('HSET', h, 'sum', sum, 'first', first)
        else
          redis.call('DEL', h)
          sum = 0
        end
      end
    end
  else
    sum = 0
  end
  c.sum, c.first = sum, first
end

local function load(c)
  if c.kind == 'v' then
    loadSlots(c)
  elseif c.kind == 'w' then
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
      c.fresh = true
    else
      c.value = num(stored[1])
      c.stored = tonumber(stored[2])
      -- A counter of a period that has ended starts again from 0 with the new period.
      if c.resetAt ~= c.stored and now >= c.stored then
        c.value = 0
        c.stored = c.resetAt
        c.fresh = true
        redis.call('HSET', key, 'value', 0, 'resetAt', c.resetAt)
      end
    end
  end
end

-- nil: room; otherwise the ms until there will be.
local function retry(c)
  if c.kind == 'v' then
    if c.sum + c.amount <= c.limit then return nil end
    if c.amount > c.limit then return c.windowMs end
    -- When enough of the oldest slots leave for this amount to fit.
    local slots = {}
    for slot = c.first, math.floor(now / c.slotMs) do slots[#slots + 1] = slot end
    local amounts = redis.call('HMGET', KEYS[c.k], unpack(slots))
    local freed = 0
    for j = 1, #slots do
      freed = freed + num(amounts[j])
      if amounts[j] and c.sum - freed + c.amount <= c.limit then return math.max(1, (slots[j] + 1) * c.slotMs - 1 + c.windowMs - now) end
    end
    return c.windowMs
  elseif c.kind == 'w' then
    if c.sum + c.amount <= c.limit then return nil end
    if c.amount > c.limit then return c.windowMs end
    -- When enough of the oldest entries leave for this amount to fit. Entries admitted in the same ms sort by id,
    -- not by arrival, but they leave together, so the answer is the memory adapter's.
    local log, amts = KEYS[c.k], KEYS[c.k + 1]
    local freed = 0
    local start = 0
    -- Pages grow from a few entries: the answer is usually among the oldest (a full window of single requests: the
    -- very first), and a refusal must not read the whole log.
    local size = 8
    while true do
      local page = redis.call('ZRANGE', log, start, start + size - 1, 'WITHSCORES')
      if #page == 0 then break end
      local ids = {}
      for j = 1, #page, 2 do ids[#ids + 1] = page[j] end
      local amounts = redis.call('HMGET', amts, unpack(ids))
      for j = 1, #ids do
        freed = freed + num(amounts[j])
        if c.sum - freed + c.amount <= c.limit then return math.max(1, tonumber(page[2 * j]) + c.windowMs - now) end
      end
      start = start + size
      size = math.min(size * 4, CHUNK)
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

local function take(c, id)
  if c.kind == 'v' then
    local h = KEYS[c.k]
    local slot = math.floor(now / c.slotMs)
    local held = redis.call('HINCRBY', h, slot, c.amount)
    c.sum = redis.call('HINCRBY', h, 'sum', c.amount)
    if not c.first then
      c.first = slot
      redis.call('HSET', h, 'first', slot)
    end
    -- A new slot: the hash lives a window past it (a slot starts at most once per slotMs, so this is rare).
    if held == c.amount then redis.call('PEXPIRE', h, c.windowMs + c.slotMs + margin) end
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
    c.card = c.card + redis.call('ZADD', holds, now + c.windowMs, id)
    redis.call('PEXPIRE', holds, c.windowMs + margin)
  elseif c.kind == 't' then
    c.tokens = c.tokens - c.amount
    -- A full-precision string: tostring() would keep 14 digits only.
    redis.call('HSET', KEYS[c.k], 'tokens', string.format('%.17g', c.tokens), 'at', now)
    redis.call('PEXPIRE', KEYS[c.k], c.windowMs + margin)
  else
    local key = KEYS[c.k]
    c.value = redis.call('HINCRBY', key, 'value', c.amount)
    if c.fresh then
      -- A new counter or a new period: a day past the period's end (as PEXPIREAT resetAt + day would, but relative
      -- to the caller's clock, so an injected clock or a counter without a period never sets a deadline already
      -- past). Later takes leave the period and its deadline as they are.
      redis.call('HSET', key, 'resetAt', c.stored)
      redis.call('PEXPIRE', key, math.max(0, c.stored - now) + day)
    end
  end
end

local function figures(out, c)
  if c.kind == 'v' then
    local at = now
    if c.first then at = (c.first + 1) * c.slotMs - 1 end
    out[#out + 1] = math.max(0, c.limit - c.sum)
    out[#out + 1] = at + c.windowMs
  elseif c.kind == 'w' then
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

-- One request's decision: every check tested, all taken or none (see the header for the reply).
local function admit(mode, id, packed)
  local checks, n = parse(packed)
  for i = 1, n do load(checks[i]) end
  if mode == 'p' then
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
    take(checks[i], id)
    figures(out, checks[i])
  end
  return out
end

-- Ends a request (see src/limits/memory-limiter.ts settleNow): concurrency holds are given back, and each window
-- or counter named in the actuals is corrected from the admitted amount to the real one. Its checks come packed
-- as "kind,amount admitted,resetAt,actual,key;…" (a bucket has nothing to settle; a slotted window's slot index
-- in resetAt's place; actual empty when not named; key as in parse).
local function settle(id, packed)
  for spec in string.gmatch(packed, '[^;]+') do
    local kind, amountText, where, actual, key = string.match(spec, '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
    local amount, resetAt, k = tonumber(amountText), tonumber(where), tonumber(key)
    if kind == 'c' then
      redis.call('ZREM', KEYS[k], id)
    elseif actual ~= '' then
      local delta = tonumber(actual) - amount
      if delta ~= 0 and kind == 'v' then
        -- The slot the admission went to (its index in resetAt's place), unless it has left the window.
        if redis.call('HEXISTS', KEYS[k], where) == 1 then
          redis.call('HINCRBY', KEYS[k], where, delta)
          redis.call('HINCRBY', KEYS[k], 'sum', delta)
        end
      elseif delta ~= 0 and kind == 'w' then
        -- An entry that already left the window has nothing left to correct.
        local member = id
        if redis.call('ZSCORE', KEYS[k], member) then
          redis.call('HINCRBY', KEYS[k + 1], member, delta)
          redis.call('INCRBY', KEYS[k + 2], delta)
        end
      elseif delta ~= 0 and kind == 'b' then
        -- A counter of a period that has ended since started again from 0: the old period's reservation is gone.
        local stored = redis.call('HGET', KEYS[k], 'resetAt')
        if stored and tonumber(stored) == resetAt then
          local value = redis.call('HINCRBY', KEYS[k], 'value', delta)
          if value < 0 then redis.call('HSET', KEYS[k], 'value', 0) end
        end
      end
    end
  end
  return { 3 }
end

-- The operations of the batch, in the order the replica queued them (a settlement before the admissions that
-- came after it), each answered in its place.
local replies = {}
for line in string.gmatch(ARGV[4], '[^\n]+') do
  local op, id, packed = string.match(line, '^(%a)\t([^\t]*)\t(.*)$')
  local reply
  if op == 's' then reply = settle(id, packed) else reply = admit(op, id, packed) end
  -- Integers as text, '%d' keeping every digit of a large one (tostring keeps 14).
  for j = 1, #reply do reply[j] = string.format('%d', reply[j]) end
  replies[#replies + 1] = table.concat(reply, ',')
end
-- One string for the whole batch: a client decodes one bulk string much faster than hundreds of integers.
return table.concat(replies, '\n')
