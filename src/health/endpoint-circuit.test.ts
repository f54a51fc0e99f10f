import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  admitAt, applyProbe, applyVerdicts, cloneCircuit, ejectionAllowed, gateAt, newCircuit, recordVerdicts, statusOf, wantsEjection,
  type EndpointCircuit,
} from './endpoint-circuit.ts';
import type { AttemptVerdict, HealthSettings, HealthTransition, ProbeSettings } from './health-registry.ts';
import { batchOf } from './verdict-batch.ts';

const SETTINGS: HealthSettings = {
  breaker: { consecutiveFailures: 5, errorRate: 0.5, minRequests: 20, windowMs: 10_000, openMs: 30_000, halfOpenRequests: 2 },
  ejection: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 },
  latencyAlpha: 0.3,
};
const REF = { id: 'provider:openai', pool: 'providers' };
const T0 = 1_000_000;

/** A circuit on a fake clock, with the transitions it made. */
function fixture(settings = SETTINGS): { c: EndpointCircuit; sink: HealthTransition[]; record(v: AttemptVerdict[], at: number, poolCanEject?: boolean): void } {
  const c = newCircuit(REF, settings, T0);
  const sink: HealthTransition[] = [];
  return { c, sink, record: (v, at, poolCanEject = true) => recordVerdicts(c, batchOf(v), settings, at, poolCanEject, sink) };
}

const repeat = (v: AttemptVerdict, n: number): AttemptVerdict[] => new Array<AttemptVerdict>(n).fill(v);
const changes = (sink: HealthTransition[]): string[] => sink.map((t) => `${t.kind}:${t.from}->${t.to}@${t.at - T0}`);

describe('endpoint circuit', () => {
  it('opens, turns half-open after openMs and closes after halfOpenRequests successes, on schedule', () => {
    const { c, sink, record } = fixture();
    record(repeat('failure', 4), T0);
    assert.equal(c.breaker, 'closed');
    record(['failure'], T0 + 10);
    assert.equal(c.breaker, 'open');
    assert.equal(c.retryAt, T0 + 10 + 30_000);
    assert.equal(admitAt(c, SETTINGS, T0 + 30_009, sink), false);
    assert.equal(admitAt(c, SETTINGS, T0 + 30_010, sink), true);
    assert.equal(c.breaker, 'half_open');
    assert.equal(admitAt(c, SETTINGS, T0 + 30_011, sink), true);
    assert.equal(admitAt(c, SETTINGS, T0 + 30_012, sink), false, 'two slots only');
    record(['success'], T0 + 30_100);
    assert.equal(c.breaker, 'half_open');
    assert.equal(admitAt(c, SETTINGS, T0 + 30_101, sink), true, 'a slot given back is free again');
    record(['success'], T0 + 30_200);
    assert.equal(c.breaker, 'closed');
    assert.equal(c.window.totalRequests, 0, 'a closed breaker starts a fresh window');
    const breaker = sink.filter((t) => t.kind === 'breaker');
    assert.deepEqual(changes(breaker), ['breaker:closed->open@10', 'breaker:open->half_open@30010', 'breaker:half_open->closed@30200']);
    assert.equal(breaker[0]?.reason, '5 consecutive failures');
    assert.equal(breaker[1]?.reason, 'open for 30000 ms, letting 2 through');
    assert.equal(breaker[2]?.reason, '2 half-open requests succeeded');
    assert.equal(c.changedAt, T0 + 30_200);
  });

  it('reopens on a failure while half-open', () => {
    const { c, sink, record } = fixture();
    record(repeat('connect_failure', 5), T0);
    assert.equal(admitAt(c, SETTINGS, T0 + 30_000, sink), true);
    record(['success'], T0 + 30_001);
    record(['rejected'], T0 + 30_002);
    assert.equal(c.breaker, 'open');
    assert.equal(c.retryAt, T0 + 60_002);
    assert.equal(sink.at(-1)?.reason, 'failure while half-open');
  });

  it('sees a run that reached the threshold inside a batch, even if a success ended it', () => {
    const { c, record } = fixture();
    record(['success', ...repeat('failure', 5), 'success', 'success'], T0);
    assert.equal(c.breaker, 'open');
    const carried = fixture();
    carried.record(repeat('failure', 3), T0);
    carried.record(['failure', 'failure', 'success'], T0);
    assert.equal(carried.c.breaker, 'open', 'the run continues from the circuit into the batch');
  });

  it('opens on the error rate once minRequests were seen, and forgets what left the window', () => {
    const settings = { ...SETTINGS, breaker: { ...SETTINGS.breaker, consecutiveFailures: 100 } };
    const { c, sink, record } = fixture(settings);
    const mixed: AttemptVerdict[] = [];
    for (let i = 0; i < 19; i++) mixed.push(i % 2 === 0 ? 'failure' : 'success');
    record(mixed, T0);
    assert.equal(c.breaker, 'closed', '10 of 19: under minRequests');
    record(['success'], T0 + 10_000);
    assert.equal(c.breaker, 'closed', 'the first 19 left the window');
    assert.equal(c.window.totalRequests, 1);
    record(mixed, T0 + 10_500);
    assert.equal(c.breaker, 'open');
    assert.equal(sink[0]?.reason, 'error rate 0.50 over 20 requests');
  });

  it('frees half-open slots on neutral reports and after a lost report’s lease', () => {
    const settings = { ...SETTINGS, breaker: { ...SETTINGS.breaker, halfOpenRequests: 1 } };
    const { c, sink, record } = fixture(settings);
    record(repeat('failure', 5), T0);
    assert.equal(admitAt(c, settings, T0 + 30_000, sink), true);
    assert.equal(admitAt(c, settings, T0 + 30_001, sink), false);
    record(['neutral'], T0 + 30_002);
    assert.equal(c.breaker, 'half_open');
    assert.equal(admitAt(c, settings, T0 + 30_003, sink), true);
    // Never reported: after openMs the slot counts as lost.
    assert.equal(admitAt(c, settings, T0 + 60_002, sink), false);
    assert.equal(statusOf(c, settings, T0 + 60_003, null).available, true);
    assert.equal(admitAt(c, settings, T0 + 60_003, sink), true);
  });

  it('ejects for base × n up to the maximum, only when the pool allows, and not for 429s', () => {
    const settings = { ...SETTINGS, breaker: { ...SETTINGS.breaker, consecutiveFailures: 1000 } };
    const { c, sink, record } = fixture(settings);
    record([...repeat('failure', 4), 'rejected', ...repeat('failure', 4)], T0);
    assert.equal(c.ejectedUntil, null);
    assert.equal(wantsEjection(c, batchOf(['failure']), settings, T0), true);
    record(['failure'], T0, false);
    assert.equal(c.ejectedUntil, null, 'held back by the pool cap');
    record(['connect_failure'], T0 + 1);
    assert.equal(c.ejectedUntil, T0 + 1 + 30_000);
    assert.equal(gateAt(c, settings, T0 + 30_000, sink), 'refuse');
    assert.equal(wantsEjection(c, batchOf(repeat('failure', 9)), settings, T0 + 2), false, 'already ejected');
    let at = T0 + 1;
    for (const [n, forMs] of [[2, 60_000], [10, 300_000]] as const) {
      while (c.ejections < n) {
        at = (c.ejectedUntil ?? at) + 1;
        assert.equal(admitAt(c, settings, at, sink), true);
        record(repeat('failure', 5), at);
      }
      assert.equal(c.ejectedUntil, at + forMs, `ejection ${n}`);
    }
    assert.deepEqual(sink.slice(0, 2).map((t) => `${t.from}->${t.to}: ${t.reason}`), [
      'active->ejected: 6 consecutive failures, ejected for 30000 ms', 'ejected->active: ejection 1 ended',
    ]);
  });

  it('caps ejection to a share of the pool, but always lets one endpoint go', () => {
    assert.equal(ejectionAllowed(0, 1, 0), true);
    assert.equal(ejectionAllowed(0, 10, 10), true);
    assert.equal(ejectionAllowed(1, 10, 10), false);
    assert.equal(ejectionAllowed(1, 4, 50), true);
    assert.equal(ejectionAllowed(2, 4, 50), false);
  });

  it('judges probes by their thresholds', () => {
    const probe: ProbeSettings = { intervalMs: 10_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3 };
    const { c, sink } = fixture();
    applyProbe(c, probe, false, 'HTTP 500', T0, sink);
    applyProbe(c, probe, false, null, T0 + 1, sink);
    assert.equal(c.probe?.healthy, true);
    assert.equal(c.probe?.lastError, 'probe failed');
    applyProbe(c, probe, false, 'ECONNREFUSED', T0 + 2, sink);
    assert.equal(c.probe?.healthy, false);
    assert.equal(admitAt(c, SETTINGS, T0 + 3, sink), false);
    applyProbe(c, probe, true, null, T0 + 4, sink);
    assert.equal(c.probe?.healthy, false);
    applyProbe(c, probe, true, null, T0 + 5, sink);
    assert.equal(admitAt(c, SETTINGS, T0 + 6, sink), true);
    assert.deepEqual(sink.map((t) => t.reason), ['probe failed 3 times: ECONNREFUSED', 'probe ok 2 times']);
  });

  it('shows in status what admit() would find, without changing the circuit', () => {
    const { c, record } = fixture();
    record(repeat('failure', 5), T0);
    const before = cloneCircuit(c);
    assert.deepEqual(statusOf(c, SETTINGS, T0 + 1, null), {
      id: REF.id, pool: REF.pool, available: false, breaker: 'open', breakerRetryAt: T0 + 30_000, consecutiveFailures: 5,
      requests: 5, errorRate: 1, ejectedUntil: T0 + 30_000, ejections: 1, probe: null, latencyMs: null, changedAt: T0,
    });
    const later = statusOf(c, SETTINGS, T0 + 30_000, 12);
    assert.equal(later.breaker, 'half_open');
    assert.equal(later.breakerRetryAt, null);
    assert.equal(later.ejectedUntil, null);
    assert.equal(later.available, true);
    assert.equal(later.requests, 0, 'the window moved on');
    assert.deepEqual(c, before);
  });

  it('leaves the input of applyVerdicts as it was', () => {
    const { c } = fixture();
    const before = cloneCircuit(c);
    const { circuit, transitions } = applyVerdicts(c, batchOf(repeat('failure', 5)), SETTINGS, T0, true);
    assert.deepEqual(c, before);
    assert.equal(circuit.breaker, 'open');
    assert.equal(transitions.length, 2);
  });

  it('starts the window again when windowMs changes', () => {
    const { c, record } = fixture();
    record(repeat('success', 3), T0);
    const settings = { ...SETTINGS, breaker: { ...SETTINGS.breaker, windowMs: 60_000 } };
    recordVerdicts(c, batchOf(['failure']), settings, T0 + 1, true, []);
    assert.equal(c.window.totalRequests, 1);
    assert.equal(c.window.bucketMs, 6_000);
  });
});
