/**
 * Circuit state shared in Redis by three real replicas: failures seen by different replicas add up to one
 * breaker that opens for all of them, and the upstream stops seeing traffic from every replica; a replica whose
 * Redis is gone keeps deciding on its own without hanging a request.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { startGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';
import { startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { ADMIN_KEY, TEST_SECRETS } from '../support/start-gateway.ts';
import { testDataDir } from '../support/test-data-dir.ts';
import { until } from '../support/until.ts';

const REDIS_URL = 'redis://127.0.0.1:6379';

async function chat(url: string): Promise<Response> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'primary', messages: [{ role: 'user', content: 'Hello' }] }), signal: AbortSignal.timeout(5000),
  });
  await res.arrayBuffer();
  return res;
}

async function breakerOf(url: string): Promise<string | undefined> {
  const res = await fetch(`${url}/api/health/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const body = await res.json() as { sharedState: boolean; endpoints: Array<{ provider: string; breaker: string }> };
  assert.equal(body.sharedState, true);
  return body.endpoints.find((e) => e.provider === 'p')?.breaker;
}

function configFile(primary: ReplayServer, backup: ReplayServer, openMs: number): string {
  const file = join(testDataDir(), 'switchboard.json');
  writeFileSync(file, JSON.stringify({
    providers: [
      { name: 'p', type: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', retries: 0 },
      { name: 'b', type: 'openai', baseUrl: `${backup.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' },
    ],
    models: [{ name: 'primary', provider: 'p', model: 'gpt-4o-mini', fallbacks: ['backup'] }, { name: 'backup', provider: 'b', model: 'gpt-4o-mini' }],
    resilience: { breaker: { consecutiveFailures: 3, openMs }, ejection: { consecutiveFailures: 100 } },
  }));
  return file;
}

describe('three replicas share one circuit state in Redis', () => {
  const prefix = `sbtest:${randomBytes(6).toString('hex')}:`;
  const replicas: GatewayProcess[] = [];
  let primary: ReplayServer;
  let backup: ReplayServer;

  before(async () => {
    primary = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }]);
    backup = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' }]);
    const file = configFile(primary, backup, 60_000);
    for (let i = 0; i < 3; i++) {
      replicas.push(await startGatewayProcess({
        SWITCHBOARD_CONFIG: file, SWITCHBOARD_DATA_DIR: testDataDir(), SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, REDIS_URL, SWITCHBOARD_REDIS_PREFIX: prefix, ...TEST_SECRETS,
      }));
    }
  });

  after(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await primary?.close();
    await backup?.close();
    const redis = new Redis(REDIS_URL, { lazyConnect: true });
    await redis.connect();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('opens for every replica on failures that no single replica saw enough of', async () => {
    // One failure per replica: 3 in all, the threshold; none of them alone saw more than one.
    for (const r of replicas) {
      const res = await chat(r.url);
      assert.equal(res.status, 200, 'answered by the fallback');
      assert.equal(res.headers.get('x-switchboard-attempts'), '2');
    }
    assert.equal(primary.requests.length, 3);
    for (const r of replicas) await until(async () => (await breakerOf(r.url)) === 'open', 'every replica sees the breaker open', 3000);
    for (const r of replicas) {
      const res = await chat(r.url);
      assert.equal(res.headers.get('x-switchboard-attempts'), '1', 'the open target is skipped on every replica');
      assert.equal(res.headers.get('x-switchboard-target'), 'b/gpt-4o-mini');
    }
    assert.equal(primary.requests.length, 3, 'the failing upstream sees no more traffic from any replica');
  });
});

describe('a replica whose Redis is gone or hangs', () => {
  for (const failure of ['cut', 'stall'] as const) {
    it(`keeps answering within bounds and opens its own breaker when Redis is ${failure === 'cut' ? 'unreachable' : 'hanging'}`, async () => {
      const primary = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }]);
      const backup = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' }]);
      const proxy = await startTcpProxy(6379);
      const prefix = `sbtest:${randomBytes(6).toString('hex')}:`;
      const replica = await startGatewayProcess({
        SWITCHBOARD_CONFIG: configFile(primary, backup, 60_000), SWITCHBOARD_DATA_DIR: testDataDir(), SWITCHBOARD_ADMIN_KEY: ADMIN_KEY,
        REDIS_URL: `redis://127.0.0.1:${proxy.port}`, SWITCHBOARD_REDIS_PREFIX: prefix, ...TEST_SECRETS,
      });
      try {
        assert.equal((await chat(replica.url)).status, 200);
        if (failure === 'cut') proxy.cut();
        else proxy.stall();
        for (let i = 0; i < 4; i++) {
          const started = performance.now();
          const res = await chat(replica.url);
          assert.equal(res.status, 200);
          assert.ok(performance.now() - started < 1000, `answered in ${Math.round(performance.now() - started)} ms`);
        }
        // 1 failure before the cut and 2 after reach the threshold of 3 locally; after that the target is skipped.
        const res = await chat(replica.url);
        assert.equal(res.headers.get('x-switchboard-attempts'), '1');
        assert.equal(primary.requests.length, 3);
        // A cut link is seen at once; a hanging one after a few commands time out (one every refresh at least).
        let endpoints: { status: string; detail?: string } | undefined;
        await until(async () => {
          const detailed = await (await fetch(`${replica.url}/health/detailed`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as { checks: Array<{ name: string; status: string; detail?: string }> };
          endpoints = detailed.checks.find((c) => c.name === 'endpoints');
          return /circuit state not shared/.test(endpoints?.detail ?? '');
        }, 'the endpoints check says the state is not shared', 5000);
        assert.equal(endpoints?.status, 'degraded');
        const overview = await (await fetch(`${replica.url}/api/health/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as { stateStore: string; sharedState: boolean };
        assert.deepEqual([overview.stateStore, overview.sharedState], ['redis', false]);
      } finally {
        proxy.restore();
        await replica.stop();
        await proxy.close();
        await primary.close();
        await backup.close();
      }
    });
  }
});
