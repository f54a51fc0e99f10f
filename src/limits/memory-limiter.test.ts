import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LimitCheck } from './limiter.ts';
import { MemoryLimiter } from './memory-limiter.ts';

describe('MemoryLimiter', () => {
  it('forgets the counters of callers seen once, once they hold nothing, and keeps the others', async () => {
    let now = 1_800_000_000_000;
    const limiter = new MemoryLimiter(() => now);
    const rpm: LimitCheck = { key: 'rpm', kind: 'window', limit: 10, windowMs: 60_000, amount: 1 };
    const total: LimitCheck = { key: 'budget:total', kind: 'counter', limit: 1000, windowMs: 0, resetAt: Number.MAX_SAFE_INTEGER, amount: 5 };
    for (let i = 0; i < 1000; i++) limiter.admitNow({ tag: `ip:${i}`, id: `r${i}`, checks: [rpm] });
    limiter.admitNow({ tag: 'ws:acme', id: 'budget', checks: [total] });
    assert.equal(limiter.size, 1001);
    now += 61_000;
    limiter.admitNow({ tag: 'ip:late', id: 'late', checks: [rpm] });
    assert.equal(limiter.size, 2, 'the window counters that emptied are gone; the lifetime budget and the new one stay');
    const [state] = await limiter.peek('ws:acme', [{ ...total, amount: 0 }]);
    assert.equal(state?.remaining, 995);
  });
});
