import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointStatus } from '../health/health-registry.ts';
import { modelHealth } from './model-health.ts';

function status(id: string, available: boolean, errorRate: number): EndpointStatus {
  return {
    id, pool: 'providers', available, breaker: available ? 'closed' : 'open', breakerRetryAt: null, consecutiveFailures: 0, requests: 20, errorRate,
    ejectedUntil: null, ejections: 0, probe: null, latencyMs: null, changedAt: null,
  };
}

const endpoints = [{ id: 'a', url: 'http://a', type: 'primary', weight: 1, mode: 'direct' }, { url: 'http://b', type: 'secondary', weight: 1, mode: 'direct' }] as const;

describe('modelHealth', () => {
  it('scores the mean of (available ? 1 − error rate : 0) over the endpoints, each named as it is called', () => {
    const states: Record<string, EndpointStatus> = { 'provider:m@a': status('provider:m@a', true, 0.2), 'provider:m@e2': status('provider:m@e2', true, 0) };
    const h = modelHealth({ id: 'm', provider: 'openai', endpoints: [...endpoints], reportedHealth: undefined }, (e) => states[e.id]!);
    assert.equal(h.status, 'healthy');
    assert.equal(h.healthScore, 0.9);
    assert.deepEqual(h.endpoints.map((e) => e.provider), ['m@a', 'm@e2']);
    assert.equal(h.reported, null);
  });

  it('is degraded when some endpoints are out or a monitor says so, unhealthy when none is in or a monitor says so', () => {
    const some = (id: string) => status(id, id.endsWith('@a'), 0);
    assert.equal(modelHealth({ id: 'm', provider: 'openai', endpoints: [...endpoints], reportedHealth: undefined }, (e) => some(e.id)).status, 'degraded');
    assert.equal(modelHealth({ id: 'm', provider: 'openai', endpoints: [...endpoints], reportedHealth: undefined }, (e) => some(e.id)).healthScore, 0.5);
    const none = modelHealth({ id: 'm', provider: 'openai', endpoints: [...endpoints], reportedHealth: undefined }, (e) => status(e.id, false, 0));
    assert.deepEqual([none.status, none.healthScore], ['unhealthy', 0]);
    const up = (e: { id: string }) => status(e.id, true, 0);
    assert.equal(modelHealth({ id: 'm', provider: 'mock', endpoints: [], reportedHealth: { status: 'degraded' } }, up).status, 'degraded');
    assert.equal(modelHealth({ id: 'm', provider: 'mock', endpoints: [], reportedHealth: { status: 'unhealthy' } }, up).status, 'unhealthy');
  });

  it('measures a model without endpoints on its provider', () => {
    const seen: string[] = [];
    const h = modelHealth({ id: 'm', provider: 'mock', endpoints: [], reportedHealth: undefined }, (e) => { seen.push(e.id); return status(e.id, true, 0.5); });
    assert.deepEqual(seen, ['provider:mock']);
    assert.equal(h.healthScore, 0.5);
  });
});
