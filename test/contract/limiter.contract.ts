// The limiter port's contract: every adapter (memory, Redis) gives these answers. The clock is the test's, so
// windows slide by exactly what a case says.
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { Admission, Limiter, LimitCheck } from '../../src/limits/limiter.ts';

export interface LimiterHarness {
  readonly limiter: Limiter;
  /** Moves the limiter's clock forward. */
  advance(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

export type MakeLimiter = () => Promise<LimiterHarness>;

const rpm = (limit: number, windowMs = 60_000): LimitCheck => ({ key: 'rpm', kind: 'window', limit, windowMs, amount: 1 });

function ok(a: Admission): asserts a is Extract<Admission, { ok: true }> {
  assert.equal(a.ok, true, a.ok ? '' : `refused by ${a.refusedBy.key}`);
}

export function runLimiterContract(name: string, make: MakeLimiter): void {
  describe(`Limiter contract: ${name}`, () => {
    let h: LimiterHarness;
    let n = 0;
    const admit = (checks: readonly LimitCheck[], tag = 'ws-1') => h.limiter.admit({ tag, id: `r${++n}`, checks });
    afterEach(() => h.close());

    it('admits up to the limit in a window, refuses the next with when there will be room, and slides', async () => {
      h = await make();
      for (let i = 0; i < 3; i++) {
        const a = await admit([rpm(3, 1000)]);
        ok(a);
        assert.equal(a.states[0]?.remaining, 2 - i);
        h.advance(100);
      }
      const refused = await admit([rpm(3, 1000)]);
      assert.equal(refused.ok, false);
      if (refused.ok) return;
      assert.equal(refused.refusedBy.key, 'rpm');
      // The first admission (t=0) leaves at t=1000; it is t=300 now.
      assert.equal(refused.retryAfterMs, 700);
      assert.equal(refused.states[0]?.remaining, 0);
      h.advance(700);
      ok(await admit([rpm(3, 1000)]));
      assert.equal((await admit([rpm(3, 1000)])).ok, false, 'one left the window, one came in');
      h.advance(100);
      ok(await admit([rpm(3, 1000)]));
    });

    it('counts a window above 1,000 in sixty slots: never more than the limit in any window, settled in its slot', async () => {
      h = await make();
      // 1,200 a minute: slots of 1 s. The clock starts on a slot boundary.
      h.advance(1000 - (h.now() % 1000));
      const wide = (amount = 1): LimitCheck => ({ key: 'rph', kind: 'window', limit: 1200, windowMs: 60_000, amount, unit: 'tokens' });
      const first = await admit([wide(700)]);
      ok(first);
      h.advance(30_500);
      ok(await admit([wide(500)]));
      const refused = await admit([wide(1)]);
      assert.equal(refused.ok, false);
      // The first slot's last ms is at 999; it leaves at 60,999, now 30,500.
      if (!refused.ok) assert.equal(refused.retryAfterMs, 30_499);
      await h.limiter.settle(first.ticket, { rph: 600 });
      assert.equal((await h.limiter.peek('ws-1', [wide(0)]))[0]?.remaining, 100, 'the correction went to the first slot');
      ok(await admit([wide(100)]));
      h.advance(30_498);
      assert.equal((await admit([wide(1)])).ok, false, 'one ms before the first slot leaves, the window is still full');
      h.advance(1);
      const after = await admit([wide(600)]);
      ok(after);
      assert.equal(after.states[0]?.remaining, 0);
    });

    it('takes all of a request\'s checks or none of them', async () => {
      h = await make();
      const wide = rpm(10);
      const narrow: LimitCheck = { key: 'burst', kind: 'window', limit: 1, windowMs: 60_000, amount: 1 };
      ok(await admit([wide, narrow]));
      const refused = await admit([wide, narrow]);
      assert.equal(refused.ok, false);
      if (!refused.ok) assert.equal(refused.refusedBy.key, 'burst');
      const [state] = await h.limiter.peek('ws-1', [wide]);
      assert.equal(state?.remaining, 9, 'the refused request took nothing from the wider limit');
    });

    it('counts amounts (tokens), and settles an estimate to the real amount', async () => {
      h = await make();
      const tpm = (amount: number): LimitCheck => ({ key: 'tpm', kind: 'window', limit: 100, windowMs: 60_000, amount });
      const first = await admit([tpm(60)]);
      ok(first);
      assert.equal((await admit([tpm(60)])).ok, false);
      await h.limiter.settle(first.ticket, { tpm: 20 });
      const [state] = await h.limiter.peek('ws-1', [tpm(0)]);
      assert.equal(state?.remaining, 80);
      ok(await admit([tpm(60)]));
      const over = await admit([tpm(101)]);
      assert.equal(over.ok, false, 'more than the limit is never admitted');
      if (!over.ok) assert.equal(over.retryAfterMs, 60_000);
      h.advance(60_001);
      const [after] = await h.limiter.peek('ws-1', [tpm(0)]);
      assert.equal(after?.remaining, 100, 'the corrected amount left with its admission');
    });

    it('holds concurrency until settled, or until a hold outlives its bound', async () => {
      h = await make();
      const cap: LimitCheck = { key: 'concurrent', kind: 'concurrency', limit: 2, windowMs: 5_000, amount: 1 };
      const a = await admit([cap]);
      ok(a);
      ok(await admit([cap]));
      const refused = await admit([cap]);
      assert.equal(refused.ok, false);
      await h.limiter.settle(a.ticket, {});
      ok(await admit([cap]));
      assert.equal((await admit([cap])).ok, false);
      h.advance(5_001);
      // Holds of a replica that never settled end by themselves.
      ok(await admit([cap]));
    });

    it('reserves against a period counter, reconciles to the billed amount, and starts again with the next period', async () => {
      h = await make();
      const period = h.now() + 10_000;
      const budget = (amount: number, resetAt = period): LimitCheck => ({ key: 'budget:daily', kind: 'counter', limit: 1000, windowMs: 0, resetAt, amount });
      const reserved = await admit([budget(600)]);
      ok(reserved);
      assert.equal(reserved.states[0]?.remaining, 400);
      assert.equal(reserved.states[0]?.resetAt, period);
      const refused = await admit([budget(600)]);
      assert.equal(refused.ok, false);
      if (!refused.ok) assert.equal(refused.retryAfterMs, 10_000);
      await h.limiter.settle(reserved.ticket, { 'budget:daily': 150 });
      assert.equal((await h.limiter.peek('ws-1', [budget(0)]))[0]?.remaining, 850);
      const failed = await admit([budget(800)]);
      ok(failed);
      await h.limiter.settle(failed.ticket, { 'budget:daily': 0 });
      assert.equal((await h.limiter.peek('ws-1', [budget(0)]))[0]?.remaining, 850, 'a failed request bills nothing');
      h.advance(10_000);
      const next = await admit([budget(900, period + 86_400_000)]);
      ok(next);
      assert.equal(next.states[0]?.remaining, 100);
    });

    it('lets a burst of a token bucket through, then one request per refill interval', async () => {
      h = await make();
      // 5 tokens, refilled at 5 per second: one every 200 ms.
      const bucket: LimitCheck = { key: 'burst', kind: 'bucket', limit: 5, windowMs: 1000, amount: 1 };
      for (let i = 0; i < 5; i++) ok(await admit([bucket]));
      const refused = await admit([bucket]);
      assert.equal(refused.ok, false);
      if (!refused.ok) assert.equal(refused.retryAfterMs, 200);
      h.advance(200);
      const again = await admit([bucket]);
      ok(again);
      assert.equal(again.states[0]?.remaining, 0);
      assert.equal(again.states[0]?.resetAt, h.now() + 1000, 'the bucket is full again a whole refill later');
      assert.equal((await admit([bucket])).ok, false);
      h.advance(10_000);
      assert.equal((await h.limiter.peek('ws-1', [bucket]))[0]?.remaining, 5, 'never above its capacity');
      const big = await admit([{ ...bucket, amount: 6 }]);
      assert.equal(big.ok, false);
      if (!big.ok) assert.equal(big.retryAfterMs, 1000);
    });

    it('keeps tags apart', async () => {
      h = await make();
      ok(await admit([rpm(1)], 'ws-a'));
      ok(await admit([rpm(1)], 'ws-b'));
      assert.equal((await admit([rpm(1)], 'ws-a')).ok, false);
    });

    it('admits exactly the limit under concurrent requests', async () => {
      h = await make();
      const results = await Promise.all(Array.from({ length: 60 }, () => admit([rpm(25)])));
      assert.equal(results.filter((r) => r.ok).length, 25);
    });

    it('peeks without taking anything', async () => {
      h = await make();
      for (let i = 0; i < 3; i++) await h.limiter.peek('ws-1', [rpm(1)]);
      ok(await admit([rpm(1)]));
    });
  });
}
