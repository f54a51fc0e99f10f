// The HealthRegistry contract (src/health/health-registry.ts): every implementation passes this suite. Time is a
// fake clock the tests move; an implementation that shares state (Redis) may lag a few real milliseconds behind a
// report, which the tests wait for with until(), never with fixed sleeps.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import type { Clock, EndpointRef, HealthRegistry, HealthSettings, HealthTransition, ProbeSettings } from '../../src/health/health-registry.ts';
import { until } from '../support/until.ts';

export interface HealthRegistryUnderTest {
  readonly registry: HealthRegistry;
  /** A second registry on the same shared state (another replica), for implementations that share one. */
  readonly second?: HealthRegistry;
  /** Resolves once what was reported so far is shared (Redis: written and read back); nothing to do in memory. */
  settle(): Promise<void>;
  cleanup(): Promise<void>;
}

export type MakeHealthRegistry = (clock: Clock, settings: HealthSettings) => Promise<HealthRegistryUnderTest>;

export const CONTRACT_SETTINGS: HealthSettings = {
  breaker: { consecutiveFailures: 3, errorRate: 0.5, minRequests: 10, windowMs: 10_000, openMs: 5_000, halfOpenRequests: 2 },
  // Ejection off unless a test turns it on: its thresholds would muddle the breaker's.
  ejection: { consecutiveFailures: 1000, baseEjectionMs: 1_000, maxEjectionMs: 2_500, maxEjectionPercent: 50 },
  latencyAlpha: 0.5,
};

const PROBE: ProbeSettings = { intervalMs: 1_000, timeoutMs: 100, healthyThreshold: 2, unhealthyThreshold: 3 };
const A: EndpointRef = { id: 'provider:a', pool: 'providers' };
const B: EndpointRef = { id: 'provider:b', pool: 'providers' };
const SOLO: EndpointRef = { id: 'service:solo:10.0.0.1:80', pool: 'service:solo' };
const START = 1_700_000_000_000;

interface Fixture extends HealthRegistryUnderTest {
  /** The fake clock's reading; tests move it forward. */
  now: number;
}

type Overrides = { breaker?: Partial<HealthSettings['breaker']>; ejection?: Partial<HealthSettings['ejection']>; latencyAlpha?: number };

function settingsWith(o: Overrides = {}): HealthSettings {
  return {
    breaker: { ...CONTRACT_SETTINGS.breaker, ...o.breaker },
    ejection: { ...CONTRACT_SETTINGS.ejection, ...o.ejection },
    latencyAlpha: o.latencyAlpha ?? CONTRACT_SETTINGS.latencyAlpha,
  };
}

function reportMany(r: HealthRegistry, ref: EndpointRef, verdict: Parameters<HealthRegistry['report']>[1], times: number): void {
  for (let i = 0; i < times; i++) r.report(ref, verdict, 10);
}

/** Polls admit() until it lets an attempt through (true) or `ms` pass (false): a shared half-open slot is claimed asynchronously. */
async function admitWithin(r: HealthRegistry, ref: EndpointRef, ms = 1_000): Promise<boolean> {
  const deadline = performance.now() + ms;
  for (;;) {
    if (r.admit(ref)) return true;
    if (performance.now() > deadline) return false;
    await sleep(2);
  }
}

/** How long the tests watch for something that must not happen (a second slot, a stray transition). */
const QUIET_MS = 150;

export function runHealthRegistryContract(name: string, make: MakeHealthRegistry): void {
  async function withRegistry(o: Overrides, body: (f: Fixture) => Promise<void>): Promise<void> {
    const clock = { now: START };
    const made = await make(() => clock.now, settingsWith(o));
    const fixture = Object.assign(clock, made) as Fixture;
    try {
      await body(fixture);
    } finally {
      await made.cleanup();
    }
  }

  /** Opens A's breaker with consecutive failures and waits until that is shared. */
  async function openA(f: Fixture): Promise<void> {
    assert.equal(f.registry.admit(A), true);
    reportMany(f.registry, A, 'failure', 3);
    assert.equal(f.registry.admit(A), false);
    await f.settle();
  }

  describe(`health registry contract: ${name}`, () => {
    it('admits an endpoint it has never seen, and shows it fresh', async () => {
      await withRegistry({}, async ({ registry }) => {
        assert.deepEqual(registry.list(), []);
        assert.deepEqual(registry.status(A), {
          id: A.id, pool: A.pool, available: true, breaker: 'closed', breakerRetryAt: null, consecutiveFailures: 0, requests: 0,
          errorRate: 0, ejectedUntil: null, ejections: 0, probe: null, latencyMs: null, changedAt: null,
        });
        // status() only looks: it does not make the endpoint known.
        assert.deepEqual(registry.list(), []);
        assert.equal(registry.admit(A), true);
        assert.deepEqual(registry.list().map((s) => s.id), [A.id]);
      });
    });

    it('lists every endpoint seen (admitted, reported or probed) in first-seen order, with its counts', async () => {
      await withRegistry({}, async ({ registry }) => {
        registry.report(B, 'success', 10);
        registry.admit(A);
        registry.reportProbe(SOLO, PROBE, true, null);
        registry.report(B, 'failure', 10);
        const list = registry.list();
        assert.deepEqual(list.map((s) => s.id), [B.id, A.id, SOLO.id]);
        const b = list[0];
        assert.ok(b);
        assert.equal(b.requests, 2);
        assert.equal(b.errorRate, 0.5);
        assert.equal(b.consecutiveFailures, 1);
        assert.deepEqual(Object.keys(b).sort(), Object.keys(registry.status(A)).sort());
        assert.equal(list[2]?.probe?.healthy, true);
      });
    });

    it('opens the breaker after consecutiveFailures failures in a row; a success starts the count again', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        reportMany(registry, A, 'failure', 2);
        registry.report(A, 'success', 10);
        reportMany(registry, A, 'failure', 2);
        assert.equal(registry.admit(A), true);
        assert.equal(registry.status(A).consecutiveFailures, 2);
        // 429 counts for the breaker.
        registry.report(A, 'rejected', 10);
        assert.equal(registry.admit(A), false);
        const s = registry.status(A);
        assert.equal(s.breaker, 'open');
        assert.equal(s.available, false);
        assert.equal(s.breakerRetryAt, f.now + CONTRACT_SETTINGS.breaker.openMs);
        assert.equal(s.changedAt, f.now);
        assert.equal(s.consecutiveFailures, 3);
        // Another endpoint is not affected.
        assert.equal(registry.admit(B), true);
      });
    });

    it('opens the breaker on the error rate over the window once minRequests were seen', async () => {
      await withRegistry({ breaker: { consecutiveFailures: 100 } }, async ({ registry }) => {
        for (let i = 0; i < 9; i++) registry.report(A, i % 2 === 0 ? 'failure' : 'success', 10);
        // 5 failures of 9: over the rate, under minRequests.
        assert.equal(registry.status(A).breaker, 'closed');
        registry.report(A, 'success', 10);
        assert.equal(registry.status(A).requests, 10);
        assert.equal(registry.status(A).errorRate, 0.5);
        assert.equal(registry.status(A).breaker, 'open');
        assert.equal(registry.admit(A), false);
      });
    });

    it('forgets requests that left the window', async () => {
      await withRegistry({ breaker: { consecutiveFailures: 100 } }, async (f) => {
        const { registry } = f;
        reportMany(registry, A, 'failure', 5);
        reportMany(registry, A, 'success', 4);
        await f.settle();
        f.now += CONTRACT_SETTINGS.breaker.windowMs;
        assert.equal(registry.status(A).requests, 0);
        registry.report(A, 'failure', 10);
        const s = registry.status(A);
        assert.equal(s.requests, 1);
        assert.equal(s.breaker, 'closed');
      });
    });

    it('stays open until openMs, then half-open admits exactly halfOpenRequests at once', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        await openA(f);
        f.now += CONTRACT_SETTINGS.breaker.openMs - 1;
        assert.equal(registry.admit(A), false);
        assert.equal(registry.status(A).breaker, 'open');
        f.now += 1;
        assert.equal(await admitWithin(registry, A), true);
        assert.equal(await admitWithin(registry, A), true);
        assert.equal(registry.status(A).breaker, 'half_open');
        assert.equal(await admitWithin(registry, A, QUIET_MS), false);
        assert.equal(registry.status(A).available, false);
      });
    });

    it('closes a half-open breaker after halfOpenRequests successes, with a fresh window', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        await openA(f);
        f.now += CONTRACT_SETTINGS.breaker.openMs;
        assert.equal(await admitWithin(registry, A), true);
        assert.equal(await admitWithin(registry, A), true);
        registry.report(A, 'success', 10);
        assert.equal(registry.status(A).breaker, 'half_open');
        registry.report(A, 'success', 10);
        await until(() => registry.status(A).breaker === 'closed', 'the breaker to close');
        const s = registry.status(A);
        assert.equal(s.available, true);
        assert.equal(s.consecutiveFailures, 0);
        assert.equal(s.requests, 0);
        assert.equal(s.breakerRetryAt, null);
        assert.equal(registry.admit(A), true);
      });
    });

    it('reopens a half-open breaker on one failure, for another openMs', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        await openA(f);
        f.now += CONTRACT_SETTINGS.breaker.openMs;
        assert.equal(await admitWithin(registry, A), true);
        registry.report(A, 'failure', 10);
        await until(() => registry.status(A).breaker === 'open', 'the breaker to reopen');
        assert.equal(registry.status(A).breakerRetryAt, f.now + CONTRACT_SETTINGS.breaker.openMs);
        assert.equal(registry.admit(A), false);
      });
    });

    it('lets a neutral verdict free a half-open slot without counting as a success', async () => {
      await withRegistry({ breaker: { halfOpenRequests: 1 } }, async (f) => {
        const { registry } = f;
        await openA(f);
        f.now += CONTRACT_SETTINGS.breaker.openMs;
        assert.equal(await admitWithin(registry, A), true);
        assert.equal(await admitWithin(registry, A, QUIET_MS), false);
        registry.report(A, 'neutral', 0);
        assert.equal(await admitWithin(registry, A), true);
        assert.equal(registry.status(A).breaker, 'half_open');
        registry.report(A, 'success', 10);
        await until(() => registry.status(A).breaker === 'closed', 'the breaker to close');
      });
    });

    it('ejects after consecutive failures, each time for longer, up to maxEjectionMs', async () => {
      await withRegistry({ breaker: { consecutiveFailures: 1000 }, ejection: { consecutiveFailures: 3 } }, async (f) => {
        const { registry } = f;
        const expected = [1_000, 2_000, 2_500];
        for (let n = 1; n <= expected.length; n++) {
          const forMs = expected[n - 1] as number;
          reportMany(registry, SOLO, 'failure', 2);
          registry.report(SOLO, 'connect_failure', 10);
          // The only endpoint of its pool: one may always be ejected, whatever the percentage.
          assert.equal(registry.admit(SOLO), false, `ejection ${n}`);
          const s = registry.status(SOLO);
          assert.equal(s.ejectedUntil, f.now + forMs, `ejection ${n}`);
          assert.equal(s.ejections, n);
          assert.equal(s.breaker, 'closed');
          await f.settle();
          f.now += forMs - 1;
          assert.equal(registry.admit(SOLO), false);
          f.now += 1;
          assert.equal(registry.admit(SOLO), true, `back after ejection ${n}`);
          assert.equal(registry.status(SOLO).ejectedUntil, null);
        }
      });
    });

    it('counts only failure and connect_failure for ejection (a 429 ends the run), and caps the share of a pool ejected', async () => {
      await withRegistry({ breaker: { consecutiveFailures: 1000 }, ejection: { consecutiveFailures: 3, maxEjectionPercent: 50 } }, async (f) => {
        const { registry } = f;
        registry.admit(A);
        registry.admit(B);
        reportMany(registry, B, 'failure', 2);
        registry.report(B, 'rejected', 10);
        reportMany(registry, B, 'failure', 2);
        registry.report(B, 'neutral', 0);
        assert.equal(registry.status(B).ejectedUntil, null);
        reportMany(registry, A, 'failure', 3);
        assert.equal(registry.admit(A), false);
        await f.settle();
        // Ejecting B too would take 100 % of the pool out.
        registry.report(B, 'failure', 10);
        assert.equal(registry.admit(B), true);
        assert.equal(registry.status(B).ejectedUntil, null);
        await f.settle();
        f.now += CONTRACT_SETTINGS.ejection.baseEjectionMs;
        assert.equal(registry.admit(A), true);
        await f.settle();
        // A is back: B's run, still growing, ejects it at the next failure.
        registry.report(B, 'failure', 10);
        assert.equal(registry.admit(B), false);
        assert.equal(registry.status(B).ejections, 1);
      });
    });

    it('turns unhealthy after unhealthyThreshold failed probes and healthy after healthyThreshold good ones', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        registry.reportProbe(A, PROBE, true, null);
        assert.equal(registry.status(A).probe?.healthy, true);
        registry.reportProbe(A, PROBE, false, 'HTTP 503');
        registry.reportProbe(A, PROBE, false, 'HTTP 503');
        assert.equal(registry.admit(A), true);
        f.now += 1_000;
        registry.reportProbe(A, PROBE, false, 'timed out after 100 ms');
        assert.equal(registry.admit(A), false);
        let s = registry.status(A);
        assert.equal(s.available, false);
        assert.deepEqual(s.probe, { healthy: false, consecutiveSuccesses: 0, consecutiveFailures: 3, lastAt: f.now, lastOk: false, lastError: 'timed out after 100 ms' });
        assert.equal(s.breaker, 'closed');
        registry.reportProbe(A, PROBE, true, null);
        assert.equal(registry.admit(A), false);
        registry.reportProbe(A, PROBE, true, null);
        assert.equal(registry.admit(A), true);
        s = registry.status(A);
        assert.equal(s.probe?.healthy, true);
        assert.equal(s.probe?.lastError, null);
        await f.settle();
        assert.equal(registry.status(A).probe?.consecutiveSuccesses, 2);
      });
    });

    it('keeps a moving average of latency, of answers only', async () => {
      await withRegistry({ latencyAlpha: 0.5 }, async ({ registry }) => {
        registry.report(A, 'success', 100);
        assert.equal(registry.status(A).latencyMs, 100);
        registry.report(A, 'failure', 200);
        assert.equal(registry.status(A).latencyMs, 150);
        registry.report(A, 'neutral', 0);
        registry.report(A, 'connect_failure', 1);
        assert.equal(registry.status(A).latencyMs, 150);
        registry.report(A, 'success', 50);
        assert.equal(registry.status(A).latencyMs, 100);
      });
    });

    it('emits every transition with a reason, and stops after unsubscribing', async () => {
      await withRegistry({ breaker: { halfOpenRequests: 1 } }, async (f) => {
        const { registry } = f;
        const seen: HealthTransition[] = [];
        const unsubscribe = registry.onTransition((t) => seen.push(t));
        registry.onTransition(() => { throw new Error('a broken listener stops nobody'); });
        await openA(f);
        await until(() => seen.length === 1, 'the open transition');
        assert.deepEqual(seen[0], { id: A.id, pool: A.pool, kind: 'breaker', from: 'closed', to: 'open', reason: '3 consecutive failures', at: f.now });
        f.now += CONTRACT_SETTINGS.breaker.openMs;
        assert.equal(await admitWithin(registry, A), true);
        registry.report(A, 'success', 10);
        await until(() => seen.length === 3, 'the half-open and closed transitions');
        assert.deepEqual(seen.map((t) => `${t.kind}:${t.from}->${t.to}`), ['breaker:closed->open', 'breaker:open->half_open', 'breaker:half_open->closed']);
        for (const t of seen) assert.ok(t.reason.length > 0);
        registry.reportProbe(B, { ...PROBE, unhealthyThreshold: 1 }, false, 'HTTP 500');
        await until(() => seen.length === 4, 'the probe transition');
        assert.deepEqual({ ...seen[3], at: 0 }, { id: B.id, pool: B.pool, kind: 'probe', from: 'healthy', to: 'unhealthy', reason: 'probe failed 1 times: HTTP 500', at: 0 });
        unsubscribe();
        reportMany(registry, B, 'failure', 3);
        await f.settle();
        await sleep(QUIET_MS / 3);
        assert.equal(seen.length, 4);
      });
    });

    it('forgets endpoints that retain() does not keep', async () => {
      await withRegistry({}, async (f) => {
        const { registry } = f;
        registry.admit(B);
        await openA(f);
        registry.retain(new Set([B.id]));
        assert.deepEqual(registry.list().map((s) => s.id), [B.id]);
        assert.equal(registry.status(A).breaker, 'closed');
        assert.equal(registry.admit(A), true);
        await f.settle();
        assert.equal(registry.status(A).breaker, 'closed', 'not brought back from shared state');
        assert.deepEqual(registry.list().map((s) => s.id), [B.id, A.id]);
      });
    });

    it('applies new settings from configure() and keeps the state', async () => {
      await withRegistry({}, async ({ registry }) => {
        registry.report(A, 'failure', 10);
        registry.configure(settingsWith({ breaker: { consecutiveFailures: 2 } }));
        assert.equal(registry.status(A).consecutiveFailures, 1);
        registry.report(A, 'failure', 10);
        assert.equal(registry.admit(A), false);
      });
    });

    it('claims probes without ever rejecting', async () => {
      await withRegistry({}, async ({ registry }) => {
        assert.equal(typeof (await registry.claimProbe(A, 1_000)), 'boolean');
      });
    });

    it('shares a breaker with another replica within a bounded time', async (t) => {
      await withRegistry({}, async (f) => {
        const { second } = f;
        if (second === undefined) return t.skip('one replica only');
        const fromSecond: HealthTransition[] = [];
        second.onTransition((tr) => fromSecond.push(tr));
        assert.equal(second.admit(A), true);
        await openA(f);
        await until(() => !second.admit(A), 'the second replica to see the breaker open', 2_000);
        const s = second.status(A);
        assert.equal(s.breaker, 'open');
        assert.equal(s.breakerRetryAt, f.now + CONTRACT_SETTINGS.breaker.openMs);
        assert.equal(s.consecutiveFailures, 3);
        // Emitted by the replica that made it only.
        assert.deepEqual(fromSecond, []);
      });
    });

    it('grants half-open slots once across replicas', async (t) => {
      await withRegistry({ breaker: { halfOpenRequests: 1 } }, async (f) => {
        const { registry, second } = f;
        if (second === undefined) return t.skip('one replica only');
        second.admit(A);
        await openA(f);
        await until(() => !second.admit(A), 'the second replica to see the breaker open', 2_000);
        f.now += CONTRACT_SETTINGS.breaker.openMs;
        let first = 0;
        let other = 0;
        await until(() => {
          if (registry.admit(A)) first++;
          if (second.admit(A)) other++;
          return first + other > 0;
        }, 'a half-open slot for one of them');
        const deadline = performance.now() + QUIET_MS;
        while (performance.now() < deadline) {
          if (registry.admit(A)) first++;
          if (second.admit(A)) other++;
          await sleep(2);
        }
        assert.equal(first + other, 1, `slots granted: ${first} here, ${other} on the other replica`);
        // The winner's success closes it for both.
        (first === 1 ? registry : second).report(A, 'success', 10);
        await until(() => registry.admit(A) && second.admit(A), 'both replicas to see the breaker closed', 2_000);
      });
    });
  });
}
