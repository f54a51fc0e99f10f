/**
 * Embedded mode end to end (seed 003's "Plano embedded"): a gateway runs the fixture sidecar, sends the
 * provider's traffic through it, restarts it when it crashes, sends traffic direct after its fourth crash, and
 * leaves no sidecar behind, even after `kill -9` of the gateway itself.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startGatewayProcess } from '../support/gateway-process.ts';
import { startGateway, ADMIN_KEY, TEST_SECRETS } from '../support/start-gateway.ts';
import { startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { findProcesses, fixtureCommand, http, newMarker } from '../support/sidecar-harness.ts';
import { testDataDir } from '../support/test-data-dir.ts';
import { until } from '../support/until.ts';

interface Overview { endpoints: Array<{ provider: string; route: string; available: boolean; sidecar: { state: string; pid: number | null; port: number | null; restarts: number; lastError: string | null } | null }> }

async function overview(url: string): Promise<Overview['endpoints'][number]> {
  const res = await fetch(`${url}/api/health/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  const body = await res.json() as Overview;
  const entry = body.endpoints.find((e) => e.provider === 'openai');
  assert.ok(entry, JSON.stringify(body));
  return entry;
}

async function chat(url: string): Promise<{ status: number; content: string; code: string | null }> {
  const res = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Hello' }] }),
  });
  const body = await res.json() as { choices?: Array<{ message: { content: string } }> };
  return { status: res.status, content: body.choices?.[0]?.message.content ?? '', code: res.headers.get('x-switchboard-error-code') };
}

function provider(direct: ReplayServer, embedded: Record<string, unknown>): Record<string, unknown> {
  return {
    name: 'openai', type: 'openai', baseUrl: `${direct.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', mode: 'embedded',
    embedded: { healthIntervalMs: 100, healthTimeoutMs: 500, restartBackoffMs: 50, maxRestartBackoffMs: 100, startTimeoutMs: 15_000, ...embedded },
  };
}

const directRoute = { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' } as const;

describe('embedded mode', () => {
  it('serves through the sidecar, restarts it after a crash, and after its fourth crash sends traffic direct', async () => {
    const direct = await startReplayServer([directRoute]);
    const marker = newMarker();
    const gw = await startGateway({ config: { providers: [provider(direct, { command: fixtureCommand(marker), maxRestarts: 3 })], resilience: { healthTracking: false } } });
    try {
      await until(async () => (await overview(gw.url)).route === 'sidecar', 'the sidecar is ready', 15_000);
      let pid = (await overview(gw.url)).sidecar?.pid;
      assert.match((await chat(gw.url)).content, new RegExp(`from sidecar ${pid}`));
      assert.equal(direct.requests.length, 0);

      for (let crash = 1; crash <= 3; crash++) {
        const port = (await overview(gw.url)).sidecar?.port;
        await http(`http://127.0.0.1:${port}/crash`, 'POST', '{}');
        await until(async () => {
          const e = await overview(gw.url);
          return e.route === 'sidecar' && e.sidecar?.pid !== pid && e.sidecar?.restarts === crash;
        }, `restart ${crash}`, 15_000);
        const next = (await overview(gw.url)).sidecar?.pid;
        assert.notEqual(next, pid);
        pid = next;
        assert.match((await chat(gw.url)).content, new RegExp(`from sidecar ${pid}`), `served by the restarted sidecar after crash ${crash}`);
      }

      const port = (await overview(gw.url)).sidecar?.port;
      await http(`http://127.0.0.1:${port}/crash`, 'POST', '{}');
      await until(async () => (await overview(gw.url)).sidecar?.state === 'failed', 'failed after the fourth crash', 15_000);
      const answer = await chat(gw.url);
      assert.equal(answer.status, 200);
      assert.doesNotMatch(answer.content, /from sidecar/, 'served direct');
      assert.equal(direct.requests.length, 1);
      assert.equal((await overview(gw.url)).route, 'direct');
      assert.deepEqual(findProcesses(marker), [], 'a failed sidecar is not left running');
    } finally {
      await gw.close();
      await direct.close();
    }
    assert.deepEqual(findProcesses(marker), []);
  });

  it('with a command that does not exist: starts anyway, says why, and answers direct or SB_SIDECAR_UNAVAILABLE', async () => {
    const direct = await startReplayServer([directRoute]);
    for (const fallback of [true, false]) {
      const gw = await startGateway({ config: { providers: [provider(direct, { command: ['/nonexistent/sidecar-binary', '{port}'], fallback })] } });
      try {
        const entry = await overview(gw.url);
        assert.equal(entry.sidecar?.state, 'failed');
        assert.match(entry.sidecar?.lastError ?? '', /nonexistent\/sidecar-binary/);
        const answer = await chat(gw.url);
        if (fallback) {
          assert.equal(answer.status, 200);
        } else {
          assert.equal(answer.status, 503);
          assert.equal(answer.code, 'SB_SIDECAR_UNAVAILABLE');
        }
      } finally {
        await gw.close();
      }
    }
    await direct.close();
  });

  it('leaves no sidecar running after kill -9 of the gateway, once the gateway starts again', async () => {
    const direct = await startReplayServer([directRoute]);
    const marker = newMarker();
    const dataDir = testDataDir();
    const file = join(dataDir, 'switchboard.json');
    writeFileSync(file, JSON.stringify({ providers: [provider(direct, { command: fixtureCommand(marker) })] }));
    const env = { SWITCHBOARD_CONFIG: file, SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, ...TEST_SECRETS };
    const first = await startGatewayProcess(env);
    let second: Awaited<ReturnType<typeof startGatewayProcess>> | undefined;
    try {
      await until(async () => (await overview(first.url)).route === 'sidecar', 'the first sidecar is ready', 15_000);
      const [orphan] = findProcesses(marker);
      assert.ok(orphan !== undefined);
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
      assert.deepEqual(findProcesses(marker), [orphan], 'kill -9 leaves the sidecar orphaned until the next start');

      second = await startGatewayProcess(env);
      await until(() => !findProcesses(marker).includes(orphan), 'the stale sidecar is reaped', 10_000);
      await until(async () => (await overview(second!.url)).route === 'sidecar', 'a new sidecar is ready', 15_000);
      const running = findProcesses(marker);
      assert.equal(running.length, 1);
      assert.notEqual(running[0], orphan);
    } finally {
      await second?.stop();
      await first.stop();
      await direct.close();
    }
    await until(() => findProcesses(marker).length === 0, 'no sidecar after a clean stop', 10_000);
  });
});
