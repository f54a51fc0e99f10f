import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { until } from '../../test/support/until.ts';
import { ActiveProber, type ProbeTarget } from './active-prober.ts';
import type { EndpointRef, HealthRegistry, ProbeSettings } from './health-registry.ts';
import { MemoryHealthRegistry } from './memory-health-registry.ts';

interface ProbeReport { id: string; ok: boolean; error: string | null }

/** A memory registry that records probe outcomes and answers claimProbe as told. */
class RecordingRegistry extends MemoryHealthRegistry {
  readonly reports: ProbeReport[] = [];
  claim: () => Promise<boolean> = async () => true;
  claims = 0;

  constructor() {
    super({ settings: { breaker: { consecutiveFailures: 5, errorRate: 0.5, minRequests: 20, windowMs: 10_000, openMs: 30_000, halfOpenRequests: 1 }, ejection: { consecutiveFailures: 5, baseEjectionMs: 30_000, maxEjectionMs: 300_000, maxEjectionPercent: 50 }, latencyAlpha: 0.3 } });
  }

  override reportProbe(endpoint: EndpointRef, settings: ProbeSettings, ok: boolean, error: string | null): void {
    this.reports.push({ id: endpoint.id, ok, error });
    super.reportProbe(endpoint, settings, ok, error);
  }

  override claimProbe(): Promise<boolean> {
    this.claims++;
    return this.claim();
  }
}

const SETTINGS: ProbeSettings = { intervalMs: 30, timeoutMs: 150, healthyThreshold: 2, unhealthyThreshold: 2 };
const requests: IncomingMessage[] = [];
let server: Server;
let base = '';

before(async () => {
  server = createServer((req, res) => {
    requests.push(req);
    // The query only tells the tests' requests apart.
    const path = (req.url ?? '').split('?')[0];
    if (path === '/ok') res.end('{"status":"ok"}');
    else if (path === '/big') res.end('x'.repeat(1024 * 1024));
    else if (path === '/fail') { res.statusCode = 500; res.end('down'); }
    // '/hang': never answers.
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

function target(id: string, path: string, settings = SETTINGS, headers: Record<string, string> = {}): ProbeTarget {
  return { endpoint: { id, pool: 'providers' }, url: path.startsWith('http') ? path : `${base}${path}`, headers, settings };
}

/** An http:// URL on a port nothing listens on. */
async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}/health`;
}

async function withProber(body: (prober: ActiveProber, registry: RecordingRegistry) => Promise<void>): Promise<void> {
  const registry = new RecordingRegistry();
  const prober = new ActiveProber({ registry: registry as HealthRegistry });
  try {
    await body(prober, registry);
  } finally {
    await prober.close();
  }
}

const reportsOf = (registry: RecordingRegistry, id: string): ProbeReport[] => registry.reports.filter((r) => r.id === id);

describe('ActiveProber', () => {
  it('reports 2xx as healthy, sending the headers, every interval', async () => {
    await withProber(async (prober, registry) => {
      prober.update([target('provider:ok', '/ok', SETTINGS, { authorization: 'Bearer probe' })]);
      await until(() => reportsOf(registry, 'provider:ok').length >= 3, 'three probes');
      assert.deepEqual(reportsOf(registry, 'provider:ok')[0], { id: 'provider:ok', ok: true, error: null });
      assert.equal(requests.find((r) => r.url === '/ok')?.headers.authorization, 'Bearer probe');
      assert.equal(registry.status({ id: 'provider:ok', pool: 'providers' }).probe?.healthy, true);
    });
  });

  it('reports a 5xx, a timeout and a refused connection as failures that say why', async () => {
    await withProber(async (prober, registry) => {
      prober.update([
        target('provider:fail', '/fail'),
        target('provider:hang', '/hang', { ...SETTINGS, timeoutMs: 50 }),
        target('provider:refused', await refusedUrl()),
        target('provider:big', '/big'),
      ]);
      await until(() => ['provider:fail', 'provider:hang', 'provider:refused', 'provider:big'].every((id) => reportsOf(registry, id).length >= 2), 'two probes each');
      assert.deepEqual(reportsOf(registry, 'provider:fail')[0], { id: 'provider:fail', ok: false, error: 'HTTP 500' });
      assert.deepEqual(reportsOf(registry, 'provider:hang')[0], { id: 'provider:hang', ok: false, error: 'timed out after 50 ms' });
      assert.match(reportsOf(registry, 'provider:refused')[0]?.error ?? '', /ECONNREFUSED/);
      assert.equal(reportsOf(registry, 'provider:big')[0]?.ok, true, 'a large body is dropped, not a failure');
      assert.equal(registry.status({ id: 'provider:fail', pool: 'providers' }).probe?.healthy, false);
      assert.equal(registry.admit({ id: 'provider:refused', pool: 'providers' }), false);
    });
  });

  it('probes only when the registry gives it the interval, and survives a registry that rejects', async () => {
    await withProber(async (prober, registry) => {
      registry.claim = async () => false;
      prober.update([target('provider:claimed', '/ok?claimed')]);
      await until(() => registry.claims >= 3, 'three claims');
      assert.equal(requests.filter((r) => r.url === '/ok?claimed').length, 0);
      registry.claim = async () => { throw new Error('redis gone'); };
      const claims = registry.claims;
      await until(() => registry.claims >= claims + 2, 'more claims');
      assert.deepEqual(registry.reports, []);
    });
  });

  it('keeps unchanged checks on update(), stops dropped ones and starts new ones', async () => {
    await withProber(async (prober, registry) => {
      const kept = target('provider:kept', '/ok');
      prober.update([kept, target('provider:dropped', '/fail')]);
      await until(() => reportsOf(registry, 'provider:dropped').length >= 1 && reportsOf(registry, 'provider:kept').length >= 1, 'both probed');
      prober.update([{ ...kept, headers: {} }, target('provider:new', '/ok')]);
      assert.deepEqual(prober.endpoints.sort(), ['provider:kept', 'provider:new']);
      const dropped = reportsOf(registry, 'provider:dropped').length;
      await until(() => reportsOf(registry, 'provider:new').length >= 2, 'the new one probed');
      assert.ok(reportsOf(registry, 'provider:dropped').length <= dropped + 1, 'at most the probe already in flight');
      // A changed check (another URL) is a new one.
      prober.update([target('provider:kept', '/fail'), target('provider:new', '/ok')]);
      await until(() => reportsOf(registry, 'provider:kept').some((r) => !r.ok), 'the changed check to run');
    });
  });

  it('stops on close(), cutting a probe in flight short without reporting it', async () => {
    const registry = new RecordingRegistry();
    const prober = new ActiveProber({ registry });
    prober.update([target('provider:hang', '/hang', { ...SETTINGS, timeoutMs: 5_000 })]);
    await until(() => registry.claims >= 1, 'the probe to start');
    const started = performance.now();
    await prober.close();
    assert.ok(performance.now() - started < 500, 'close() does not wait for the timeout');
    assert.deepEqual(registry.reports, []);
    prober.update([target('provider:ok', '/ok')]);
    assert.deepEqual(prober.endpoints, []);
  });
});
