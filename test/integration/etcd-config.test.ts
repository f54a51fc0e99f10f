// etcd as a configuration source of a real gateway: read at start, watched, refused when invalid, survived when down.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import { startEtcdServer, type EtcdServer } from '../support/etcd-server.ts';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';
import { testDataDir } from '../support/test-data-dir.ts';
import { until } from '../support/until.ts';

describe('etcd configuration source', () => {
  let etcd: EtcdServer;
  let client: Etcd3;
  const prefix = `/switchboard-test-${randomBytes(4).toString('hex')}/`;
  const dataDir = testDataDir();
  const gateways: TestGateway[] = [];

  const start = async (): Promise<TestGateway> => {
    const gw = await startGateway({
      config: { dataDir, configSync: { pollIntervalMs: 200 }, etcd: { connectTimeoutMs: 1000 } },
      env: { SWITCHBOARD_ETCD_ENDPOINTS: etcd.endpoint, SWITCHBOARD_ETCD_PREFIX: prefix },
    });
    gateways.push(gw);
    return gw;
  };
  const chat = async (gw: TestGateway, model: string): Promise<number> => (await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }),
  })).status;
  const current = (gw: TestGateway) => gw.gateway.deps.versions.current();

  before(async () => {
    etcd = await startEtcdServer();
    client = new Etcd3({ hosts: etcd.setupEndpoint });
    await client.put(`${prefix}routing/defaultMaxTokens`).value('2048');
  });
  after(async () => {
    for (const gw of gateways) await gw.close();
    client.close();
    await etcd.close();
  });

  it('starts with what etcd holds, above the file', async () => {
    const gw = await start();
    assert.equal(current(gw).config.routing.defaultMaxTokens, 2048);
  });

  it('applies a watched change as a version by etcd within 1 s', async () => {
    const gw = gateways[0]!;
    const started = performance.now();
    await client.put(`${prefix}models`).value(JSON.stringify([{ name: 'fast', provider: 'mock', model: 'mock-large' }]));
    await until(async () => (await chat(gw, 'fast')) === 200, 'the model from etcd', 2000);
    assert.ok(performance.now() - started < 1000, `took ${(performance.now() - started).toFixed(0)} ms`);
    const [newest] = await gw.gateway.deps.versions.versions({ limit: 1 });
    assert.equal(newest?.author, 'etcd');
  });

  it('starts even when etcd holds an invalid value, without it, and says so', async () => {
    await client.put(`${prefix}routing/defaultMaxTokens`).value('0');
    const gw = await startGateway({ config: { configSync: { pollIntervalMs: 200 }, etcd: { connectTimeoutMs: 1000 } }, env: { SWITCHBOARD_ETCD_ENDPOINTS: etcd.endpoint, SWITCHBOARD_ETCD_PREFIX: prefix } });
    try {
      assert.equal(current(gw).config.routing.defaultMaxTokens, 4096, 'the built-in default: the invalid etcd value is left out');
      assert.equal(await chat(gw, 'mock'), 200);
    } finally {
      await gw.close();
      await client.put(`${prefix}routing/defaultMaxTokens`).value('2048');
    }
  });

  it('refuses an invalid value from etcd and keeps serving the running version', async () => {
    const gw = gateways[0]!;
    const before = current(gw).version;
    await client.put(`${prefix}routing/defaultMaxTokens`).value('-5');
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(current(gw).version, before);
    assert.equal(current(gw).config.routing.defaultMaxTokens, 2048);
    await client.put(`${prefix}routing/defaultMaxTokens`).value('4096');
    await until(() => current(gw).config.routing.defaultMaxTokens === 4096, 'the corrected value', 2000);
  });

  it('keeps serving when etcd stops, reports degraded, and starts a new process from the copy on disk', async () => {
    const gw = gateways[0]!;
    // The copy on disk is written just after a change is applied; stop etcd once it holds the latest content.
    await until(() => /"defaultMaxTokens":4096/.test(readFileSync(join(dataDir, 'config', 'etcd-last-known-good.json'), 'utf8')), 'the disk copy', 2000);
    await etcd.stop();
    await until(async () => {
      const res = await fetch(`${gw.url}/health/detailed`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      return ((await res.json()) as { status: string }).status === 'degraded';
    }, 'degraded health', 5000);
    assert.equal(await chat(gw, 'fast'), 200);
    const second = await start();
    assert.equal(current(second).config.routing.defaultMaxTokens, 4096, 'etcd\'s last content, from the disk copy');
    assert.equal(await chat(second, 'fast'), 200);
  });
});
