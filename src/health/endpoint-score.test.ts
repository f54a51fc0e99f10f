import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseP2C } from './choose-p2c.ts';
import { healthWeightedScore, leastLatencyScore, medianLatency } from './endpoint-score.ts';
import type { EndpointStatus } from './health-registry.ts';

function status(id: string, latencyMs: number | null, errorRate = 0): EndpointStatus {
  return {
    id, pool: 'p', available: true, breaker: 'closed', breakerRetryAt: null, consecutiveFailures: 0, requests: 10, errorRate,
    ejectedUntil: null, ejections: 0, probe: null, latencyMs, changedAt: null,
  };
}

describe('endpoint scores', () => {
  it('scores least latency, an unknown latency as given (the pool median, or 0)', () => {
    assert.equal(leastLatencyScore(status('a', 120)), 120);
    assert.equal(leastLatencyScore(status('new', null)), 0);
    assert.equal(leastLatencyScore(status('new', null), 80), 80);
  });

  it('penalises errors: half the requests failing looks twice as slow', () => {
    assert.equal(healthWeightedScore(status('a', 100)), 100);
    assert.equal(healthWeightedScore(status('a', 100, 0.5)), 200);
    assert.equal(healthWeightedScore(status('a', 100, 1)), 10_000, 'capped, not infinite');
    // No latency known yet: the error rate still counts.
    assert.ok(healthWeightedScore(status('new', null, 0.5)) > healthWeightedScore(status('new', null)));
    assert.equal(healthWeightedScore(status('new', null), 50), 50);
  });

  it('takes the median of known latencies', () => {
    assert.equal(medianLatency([]), 0);
    assert.equal(medianLatency([status('a', null)]), 0);
    assert.equal(medianLatency([status('a', 30), status('b', null), status('c', 10), status('d', 20)]), 20);
    assert.equal(medianLatency([status('a', 30), status('c', 10)]), 20);
  });

  it('gives a new endpoint traffic next to known ones when scored at the median', () => {
    const pool = [status('a', 100), status('b', 300), status('new', null)];
    const median = medianLatency(pool);
    let picked = 0;
    for (let i = 0; i < 300; i++) if (chooseP2C(pool, (s) => healthWeightedScore(s, median))?.id === 'new') picked++;
    assert.ok(picked > 50, `new endpoint picked ${picked} times of 300`);
  });
});
