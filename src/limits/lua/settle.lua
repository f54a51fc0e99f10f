-- Ends a request (see src/limits/memory-limiter.ts settleNow): concurrency holds are given back, and each window
-- or counter named in the actuals is corrected from the admitted amount to the real one.
-- KEYS: the same layout as admit.lua (window: log, amounts, sum; concurrency: holds; counter: hash).
-- ARGV: id, and the checks packed as "kind,amount admitted,resetAt,actual;…" (kind 'w' | 'v' | 'c' | 'b' | 't'; a
-- bucket has nothing to settle; a slotted window's slot index in resetAt's place; actual empty when not named).
-- Integers only (the adapter rounds), so HINCRBY/INCRBY stay exact. Returns nothing.
local id = ARGV[1]
local k = 1
for spec in string.gmatch(ARGV[2] or '', '[^;]+') do
  local kind, amountText, where, actual = string.match(spec, '^([^,]*),([^,]*),([^,]*),([^,]*)$')
  local amount, resetAt = tonumber(amountText), tonumber(where)
  if kind == 'c' then
    redis.call('ZREM', KEYS[k], id)
  elseif actual ~= '' then
    local delta = tonumber(actual) - amount
    if delta ~= 0 and (kind == 'w' or kind == 'v') then
      -- An entry that already left the window has nothing left to correct. A slotted window's entry is the slot
      -- the admission went to, whose index comes in resetAt's place.
      local member = id
      if kind == 'v' then member = 's' .. where end
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
  if kind == 'w' or kind == 'v' then k = k + 3 else k = k + 1 end
end
return 0
