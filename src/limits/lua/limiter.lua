-- The shared limiter (src/limits/redis-limiter.ts), one script for a batch of operations of one hash tag — the
-- admissions, settlements and peeks one replica gathered while its previous call was out — run atomically because
-- Redis runs one script at a time. Each admission tests every check of its request and takes all of them only if
-- all have room, so replicas never race between check and take; batching only saves round trips and never mixes
-- two requests' decisions. Semantics mirror src/limits/memory-limiter.ts down to retryAfterMs. `now` comes from
-- the caller (one value per batch) so tests control time and every replica applies one formula.
--
-- A counter the batch touches is read once, when its first operation needs it, decided on in the script's memory
-- by every operation in turn, and written back once at the end: a batch of N requests costs a few commands per
-- counter, not a few per counter and request. (Exact windows, small by nature, are read and written per
-- operation.)
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
-- Amounts and limits are integers (the adapter rounds them): sums stay exact, no float drift.
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

-- unpack() has a bounded C stack: large id lists go to HMGET/HDEL/ZADD in chunks.
local CHUNK = 500

-- A request's checks come packed in one argument, "kind,limit,windowMs,resetAt,amount,key" each, ";" between.
-- `key` is the 1-based index in KEYS of the check's first key (an exact window's three are consecutive).
-- Requests of one batch mostly repeat each other's specs (same limits, amount 1): each distinct one is matched once.
local specs = {}

local function parse(packed)
  local checks = {}
  local n = 0
  for spec in string.gmatch(packed, '[^;]+') do
    local known = specs[spec]
    if not known then
      local kind, limit, windowMs, resetAt, amount, key = string.match(spec, '^([^,]*),([^,]*),([^,]*),([^,]*),([^,]*),([^,]*)$')
      known = { kind, tonumber(limit), tonumber(windowMs), tonumber(resetAt), tonumber(amount), tonumber(key) }
      specs[spec] = known
    end
    n = n + 1
    checks[n] = { kind = known[1], limit = known[2], windowMs = known[3], resetAt = known[4], amount = known[5], k = known[6] }
  end
  return checks, n
end

-- The batch's counters by KEYS index, read once (see the header); written back by flushAll.
local states = {}

-- A window counted in slots ('v', a limit above LOG_MAX_LIMIT) is one HASH: a field per slot index with what the
-- slot admitted, 'sum' (their total) and 'first' (the oldest slot held). A slot is counted whole until its last
-- millisecond has left the window, as the memory adapter counts a slot entry; slots are consecutive integers, so
-- what has left is the range first..lastGone, read and deleted in one call each. Slot length as in
-- src/limits/limiter.ts slotMsOf. Within a batch `now` is one instant, so the current slot is one field.
local SLOTS = 60

local function loadSlots(c)
  local h = KEYS[c.k]
  local slotMs = math.max(1, math.ceil(c.windowMs / SLOTS))
  local current = math.floor(now / slotMs)
  local stored = redis.call('HMGET', h, 'sum', 'first', current)
  local sum, first, cur = num(stored[1]), tonumber(stored[2]), tonumber(stored[3])
  if first then
    -- Slot s's last ms is (s + 1) * slotMs - 1; it has left once that is at or before now - windowMs.
    local lastGone = math.floor((now - c.windowMs + 1) / slotMs) - 1
    if lastGone >= first then
      if lastGone - first > SLOTS + 1 then
        -- Idle for longer than a window: nothing is left.
        redis.call('DEL', h)
        sum, first, cur = 0, nil, nil
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
          sum, cur = 0, nil
        end
      end
    end
  else
    sum, cur = 0, nil
  end
  return { slotMs = slotMs, current = current, sum = sum, first = first, cur = cur, hadCur = cur ~= nil, dirty = false }
end

local function loadCounter(c)
  local stored = redis.call('HMGET', KEYS[c.k], 'value', 'resetAt')
  if not stored[2] then return { value = 0, resetAt = nil, fresh = true, dirty = false } end
  return { value = num(stored[1]), resetAt = tonumber(stored[2]), fresh = false, dirty = false }
end

local function loadBucket(c)
  local stored = redis.call('HMGET', KEYS[c.k], 'tokens', 'at')
  local tokens = c.limit
  if stored[1] and c.windowMs > 0 then tokens = math.min(c.limit, tonumber(stored[1]) + (now - tonumber(stored[2])) * c.limit / c.windowMs) end
  return { tokens = tokens, dirty = false }
end

local function loadHolds(c)
  local holds = KEYS[c.k]
  redis.call('ZREMRANGEBYSCORE', holds, '-inf', now)
  return { card = redis.call('ZCARD', holds), adds = {}, pending = {}, ttl = 0 }
end

-- The state of a check's counter for this batch, read on first use.
local function stateOf(c)
  local s = states[c.k]
  if s then return s end
  if c.kind == 'v' then s = loadSlots(c)
  elseif c.kind == 'b' then s = loadCounter(c)
  elseif c.kind == 't' then s = loadBucket(c)
  elseif c.kind == 'c' then s = loadHolds(c)
  end
  s.kind = c.kind
  states[c.k] = s
  return s
end

-- Loads a check's state for one operation, dropping what has left it (as the memory adapter's prune does). An
-- exact window is read per operation into the check itself; the others come from the batch's states.
local function load(c)
  if c.kind == 'w' then
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
    return
  end
  local s = stateOf(c)
  c.s = s
  -- A counter of a period that has ended starts again from 0 with the new period (a new counter starts in it).
  if c.kind == 'b' then
    if s.resetAt == nil then
      -- Written only if something is taken (a peek leaves no key behind).
      s.resetAt = c.resetAt
    elseif c.resetAt ~= s.resetAt and now >= s.resetAt then
      s.value = 0
      s.resetAt = c.resetAt
      s.fresh = true
      s.dirty = true
    end
  end
end

-- nil: room; otherwise the ms until there will be.
local function retry(c)
  local s = c.s
  if c.kind == 'v' then
    if s.sum + c.amount <= c.limit then return nil end
    if c.amount > c.limit then return c.windowMs end
    -- When enough of the oldest slots leave for this amount to fit (the current slot as this batch left it).
    local slots = {}
    for slot = s.first, s.current do slots[#slots + 1] = slot end
    local amounts = redis.call('HMGET', KEYS[c.k], unpack(slots))
    amounts[#slots] = s.cur or false
    local freed = 0
    for j = 1, #slots do
      freed = freed + num(amounts[j])
      if amounts[j] and s.sum - freed + c.amount <= c.limit then return math.max(1, (slots[j] + 1) * s.slotMs - 1 + c.windowMs - now) end
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
    if s.card + 1 <= c.limit then return nil end
    return math.min(1000, c.windowMs)
  elseif c.kind == 't' then
    if s.tokens >= c.amount then return nil end
    if c.amount > c.limit then return c.windowMs end
    return math.max(1, math.ceil((c.amount - s.tokens) * c.windowMs / c.limit))
  end
  if s.value + c.amount <= c.limit then return nil end
  return math.max(1, s.resetAt - now)
end

local function take(c, id)
  local s = c.s
  if c.kind == 'v' then
    s.cur = (s.cur or 0) + c.amount
    s.sum = s.sum + c.amount
    if not s.first then s.first = s.current end
    s.windowMs = c.windowMs
    s.dirty = true
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
    if not s.pending[id] then
      s.card = s.card + 1
      s.adds[#s.adds + 1] = now + c.windowMs
      s.adds[#s.adds + 1] = id
      s.pending[id] = true
    end
    s.ttl = math.max(s.ttl, c.windowMs + margin)
  elseif c.kind == 't' then
    s.tokens = s.tokens - c.amount
    s.windowMs = c.windowMs
    s.dirty = true
  else
    s.value = s.value + c.amount
    s.dirty = true
  end
end

local function figures(out, c)
  local s = c.s
  if c.kind == 'v' then
    local at = now
    if s.first then at = (s.first + 1) * s.slotMs - 1 end
    out[#out + 1] = math.max(0, c.limit - s.sum)
    out[#out + 1] = at + c.windowMs
  elseif c.kind == 'w' then
    local oldest = redis.call('ZRANGE', KEYS[c.k], 0, 0, 'WITHSCORES')
    local at = now
    if oldest[2] then at = tonumber(oldest[2]) end
    out[#out + 1] = math.max(0, c.limit - c.sum)
    out[#out + 1] = at + c.windowMs
  elseif c.kind == 'c' then
    out[#out + 1] = math.max(0, c.limit - s.card)
    out[#out + 1] = now
  elseif c.kind == 't' then
    out[#out + 1] = math.max(0, math.floor(s.tokens))
    out[#out + 1] = now + math.ceil((c.limit - s.tokens) * c.windowMs / c.limit)
  else
    out[#out + 1] = math.max(0, c.limit - s.value)
    out[#out + 1] = s.resetAt
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
      local s = states[k]
      if s and s.pending[id] then
        -- Admitted in this very batch: the hold is dropped before it is written.
        s.pending[id] = nil
        for j = 2, #s.adds, 2 do
          if s.adds[j] == id then table.remove(s.adds, j) table.remove(s.adds, j - 1) break end
        end
        s.card = s.card - 1
      else
        local removed = redis.call('ZREM', KEYS[k], id)
        if s then s.card = s.card - removed end
      end
    elseif actual ~= '' then
      local delta = tonumber(actual) - amount
      if delta ~= 0 and kind == 'v' then
        -- The slot the admission went to (its index in resetAt's place), unless it has left the window.
        local s = states[k]
        if s and resetAt == s.current then
          if s.cur ~= nil then
            s.cur = s.cur + delta
            s.sum = s.sum + delta
            s.dirty = true
          end
        elseif redis.call('HEXISTS', KEYS[k], where) == 1 then
          redis.call('HINCRBY', KEYS[k], where, delta)
          if s then
            s.sum = s.sum + delta
            s.dirty = true
          else
            redis.call('HINCRBY', KEYS[k], 'sum', delta)
          end
        end
      elseif delta ~= 0 and kind == 'w' then
        -- An entry that already left the window has nothing left to correct.
        if redis.call('ZSCORE', KEYS[k], id) then
          redis.call('HINCRBY', KEYS[k + 1], id, delta)
          redis.call('INCRBY', KEYS[k + 2], delta)
        end
      elseif delta ~= 0 and kind == 'b' then
        -- A counter of a period that has ended since started again from 0: the old period's reservation is gone.
        local s = states[k]
        if s then
          if s.resetAt == resetAt then
            s.value = math.max(0, s.value + delta)
            s.dirty = true
          end
        else
          local stored = redis.call('HGET', KEYS[k], 'resetAt')
          if stored and tonumber(stored) == resetAt then
            local value = redis.call('HINCRBY', KEYS[k], 'value', delta)
            if value < 0 then redis.call('HSET', KEYS[k], 'value', 0) end
          end
        end
      end
    end
  end
  return { 3 }
end

-- Writes back what the batch changed, one or two commands per counter.
local function flushAll()
  for k, s in pairs(states) do
    local key = KEYS[k]
    if s.kind == 'v' and s.dirty then
      if s.first then
        if s.cur ~= nil then redis.call('HSET', key, 'sum', s.sum, 'first', s.first, s.current, s.cur)
        else redis.call('HSET', key, 'sum', s.sum, 'first', s.first) end
        -- A new slot: the hash lives a window past it (a slot starts at most once per slotMs).
        if s.cur ~= nil and not s.hadCur and s.windowMs then redis.call('PEXPIRE', key, s.windowMs + s.slotMs + margin) end
      end
    elseif s.kind == 'b' and s.dirty then
      redis.call('HSET', key, 'value', s.value, 'resetAt', s.resetAt)
      -- A new counter or a new period: a day past the period's end (as PEXPIREAT resetAt + day would, but relative
      -- to the caller's clock, so an injected clock or a counter without a period never sets a deadline already
      -- past). Later takes leave its deadline as it is.
      if s.fresh then redis.call('PEXPIRE', key, math.max(0, s.resetAt - now) + day) end
    elseif s.kind == 't' and s.dirty then
      -- A full-precision string: tostring() would keep 14 digits only.
      redis.call('HSET', key, 'tokens', string.format('%.17g', s.tokens), 'at', now)
      redis.call('PEXPIRE', key, s.windowMs + margin)
    elseif s.kind == 'c' and #s.adds > 0 then
      for j = 1, #s.adds, 2 * CHUNK do
        redis.call('ZADD', key, unpack(s.adds, j, math.min(j + 2 * CHUNK - 1, #s.adds)))
      end
      redis.call('PEXPIRE', key, s.ttl)
    end
  end
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
flushAll()
-- One string for the whole batch: a client decodes one bulk string much faster than hundreds of integers.
return table.concat(replies, '\n')
