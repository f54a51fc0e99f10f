/**
 * EtcdLayerSource against a real etcd (test/support/etcd-server.ts): tree building, watch updates, the disk
 * copy, and outages at start and mid-run. One etcd serves the whole file; each test works under its own prefix,
 * and the outage tests stop and start that etcd, so the tests run one after another.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual as isDeepEqual } from 'node:util';
import { after, afterEach, before, describe, it } from 'node:test';
import { Etcd3 } from 'etcd3';
import pino from 'pino';
import { freePort, startEtcdServer, type EtcdServer } from '../../test/support/etcd-server.ts';
import { ConfigError } from './config-error.ts';
import { EtcdLayerSource, type EtcdLayerOptions, type LayerUpdate } from './etcd-layer-source.ts';

type LogLine = Record<string, unknown> & { level: number; msg: string };

let server: EtcdServer;
let dir: string;
let prefixCount = 0;
const open: EtcdLayerSource[] = [];
const escaped: unknown[] = [];
const onEscape = (err: unknown): void => { escaped.push(err); };

before(async () => {
  process.on('unhandledRejection', onEscape);
  process.on('uncaughtException', onEscape);
  dir = await mkdtemp(join(tmpdir(), 'switchboard-etcd-layer-'));
  server = await startEtcdServer();
});

afterEach(async () => {
  await Promise.all(open.splice(0).map((source) => source.close()));
  if (server?.running === false) await server.start();
});

after(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
  process.off('unhandledRejection', onEscape);
  process.off('uncaughtException', onEscape);
});

/** A source under a fresh prefix, closed after the test; its log lines are collected. */
function makeSource(overrides: Partial<EtcdLayerOptions> = {}): { source: EtcdLayerSource; prefix: string; cacheFile: string; logs: LogLine[] } {
  const logs: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => { logs.push(JSON.parse(line) as LogLine); } });
  const prefix = overrides.prefix ?? `/switchboard-test/${++prefixCount}/`;
  const cacheFile = overrides.cacheFile ?? join(dir, `cache-${prefixCount}.json`);
  const source = new EtcdLayerSource({ endpoints: [server.endpoint], prefix, cacheFile, connectTimeoutMs: 1000, logger, ...overrides });
  open.push(source);
  return { source, prefix, cacheFile, logs };
}

/** The test's own client, on the setup URL; fresh each time so no breaker state survives an etcd restart. */
async function withEtcd<T>(fn: (client: Etcd3) => Promise<T>): Promise<T> {
  const client = new Etcd3({ hosts: server.setupEndpoint });
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}

async function putAll(prefix: string, entries: Record<string, string>): Promise<void> {
  await withEtcd(async (client) => {
    for (const [key, value] of Object.entries(entries)) await client.put(prefix + key).value(value);
  });
}

function recorder(): { updates: LayerUpdate[]; onChange: (update: LayerUpdate) => void } {
  const updates: LayerUpdate[] = [];
  return { updates, onChange: (update) => { updates.push(update); } };
}

async function waitFor(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<number> {
  const started = performance.now();
  while (!predicate()) {
    if (performance.now() - started > timeoutMs) assert.fail(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return performance.now() - started;
}

async function readCache(file: string): Promise<{ tree: unknown; revision: string }> {
  return JSON.parse(await readFile(file, 'utf8')) as { tree: unknown; revision: string };
}

describe('EtcdLayerSource options', () => {
  it('refuses options without endpoints, with a bad URL or a bad timeout, naming each field', () => {
    const logger = pino({ level: 'silent' });
    assert.throws(
      () => new EtcdLayerSource({ endpoints: [], prefix: '/p/', cacheFile: 'x.json', logger }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'endpoints'),
    );
    assert.throws(
      () => new EtcdLayerSource({ endpoints: ['127.0.0.1:2379', 'http://h:1/path'], prefix: '/p/', cacheFile: 'x.json', connectTimeoutMs: 0, logger }),
      (err: unknown) => err instanceof ConfigError && ['endpoints.0', 'endpoints.1', 'connectTimeoutMs'].every((p) => err.issues.some((i) => i.path === p)),
    );
  });

  it('may be started once', async () => {
    const { source } = makeSource();
    await source.start(() => undefined);
    await assert.rejects(source.start(() => undefined), /once/);
  });
});

describe('EtcdLayerSource with etcd up', () => {
  it('builds the tree from nested keys, JSON and YAML values; a bad value is skipped and only its key logged', async () => {
    const { source, prefix, logs } = makeSource();
    await putAll(prefix, {
      'routing/defaultMaxTokens': '1024',
      'routing/fallback': 'enabled: true\norder:\n  - primary\n  - backup\n',
      providers: JSON.stringify([{ name: 'openai', baseUrl: 'https://api.openai.com/v1' }]),
      'models/gpt-4o/aliases': '- gpt4\n- omni\n',
      banner: 'hello world',
      broken: '{"apiKey": "sk-secret-123", ',
      limits: '5',
      'limits/rpm': '100',
    });
    const first = await source.start(() => undefined);
    assert.equal(first.origin, 'live');
    assert.match(first.revision, /^[1-9]\d*$/);
    assert.deepEqual(first.tree, {
      routing: { defaultMaxTokens: 1024, fallback: { enabled: true, order: ['primary', 'backup'] } },
      providers: [{ name: 'openai', baseUrl: 'https://api.openai.com/v1' }],
      models: { 'gpt-4o': { aliases: ['gpt4', 'omni'] } },
      banner: 'hello world',
      limits: { rpm: 100 },
    });
    // Plain JSON data: survives a JSON round trip unchanged and has no class instances.
    assert.deepEqual(JSON.parse(JSON.stringify(first.tree)), first.tree);
    assert.equal(Object.getPrototypeOf(first.tree.routing), Object.prototype);
    const warnings = logs.filter((l) => l.level === 40);
    assert.ok(warnings.some((l) => l.key === `${prefix}broken` && /neither JSON nor YAML/.test(l.msg)), 'bad value reported with its key');
    assert.ok(warnings.some((l) => l.key === `${prefix}limits` && /below it/.test(l.msg)), 'collision reported');
    assert.ok(!logs.some((l) => JSON.stringify(l).includes('sk-secret')), 'the value never reaches the log');
  });

  it('sees a put and a delete through onChange within 1 s, and reports ok while watching', async () => {
    const { source, prefix } = makeSource();
    const { updates, onChange } = recorder();
    await putAll(prefix, { 'routing/defaultMaxTokens': '100', 'routing/strategy': '"weighted"' });
    await source.start(onChange);
    await waitFor('status ok', () => source.status().state === 'ok', 2000);
    assert.match(source.status().detail, /watching/);

    await putAll(prefix, { 'routing/defaultMaxTokens': '200' });
    const putMs = await waitFor('the put', () => updates.length === 1, 1000);
    assert.deepEqual(updates[0]!.tree, { routing: { defaultMaxTokens: 200, strategy: 'weighted' } });
    assert.equal(updates[0]!.origin, 'live');

    await withEtcd((client) => client.delete().key(`${prefix}routing/strategy`).exec());
    const deleteMs = await waitFor('the delete', () => updates.length === 2, 1000);
    assert.deepEqual(updates[1]!.tree, { routing: { defaultMaxTokens: 200 } });
    assert.ok(BigInt(updates[1]!.revision) > BigInt(updates[0]!.revision));
    assert.ok(putMs < 1000 && deleteMs < 1000);
  });

  it('turns a burst of 20 puts into few updates that end with the final content', async () => {
    const { source, prefix } = makeSource();
    const { updates, onChange } = recorder();
    await source.start(onChange);
    const entries = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`burst/k${String(i).padStart(2, '0')}`, String(i)]));
    await putAll(prefix, entries);
    const expected = { burst: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${String(i).padStart(2, '0')}`, i])) };
    await waitFor('the final content', () => isDeepEqual(updates.at(-1)?.tree, expected), 2000);
    await new Promise((resolve) => setTimeout(resolve, 150)); // nothing more should follow
    assert.ok(updates.length <= 4, `${updates.length} updates for 20 puts`);
    assert.deepEqual(updates.at(-1)!.tree, expected);
  });

  it('reads and watches through a live endpoint when another of the list is down', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const sources = [1, 2].map(() => makeSource({ endpoints: [nowhere, server.endpoint] }));
    await Promise.all(sources.map(({ prefix }) => putAll(prefix, { banner: '"up"' })));
    const firsts = await Promise.all(sources.map(({ source }) => source.start(() => undefined)));
    assert.deepEqual(firsts.map((f) => [f.origin, f.tree]), sources.map(() => ['live', { banner: 'up' }]));
    // The watch stream picks its endpoint at random, so it may take a few short retries to land on the live one.
    await waitFor('every watch', () => sources.every(({ source }) => source.status().state === 'ok'), 8000);
  });

  it('writes the last-known-good copy atomically, mode 0600, on each live read and change', async () => {
    const cacheDir = join(dir, 'nested', 'cache');
    const { source, prefix, cacheFile } = makeSource({ cacheFile: join(cacheDir, 'etcd-layer.json') });
    const { updates, onChange } = recorder();
    await putAll(prefix, { 'routing/defaultMaxTokens': '7' });
    const first = await source.start(onChange);
    await waitForFile(cacheFile, (data) => isDeepEqual(data.tree, first.tree));
    assert.equal((await readCache(cacheFile)).revision, first.revision);
    assert.equal((await stat(cacheFile)).mode & 0o777, 0o600);

    await putAll(prefix, { 'routing/defaultMaxTokens': '8' });
    await waitFor('the change', () => updates.length === 1, 1000);
    await waitForFile(cacheFile, (data) => isDeepEqual(data.tree, { routing: { defaultMaxTokens: 8 } }));
    assert.equal((await stat(cacheFile)).mode & 0o777, 0o600);
    assert.deepEqual(await readdir(cacheDir), ['etcd-layer.json'], 'no temporary file left behind');
  });

  it('keeps going when onChange throws or rejects', async () => {
    const { source, prefix, logs } = makeSource();
    let calls = 0;
    await source.start((update) => {
      calls++;
      if (update.tree.mode === 'throw') throw new Error('listener bug');
      if (update.tree.mode === 'reject') return Promise.reject(new Error('async listener bug')) as unknown as undefined;
    });
    await putAll(prefix, { mode: '"throw"' });
    await waitFor('the first call', () => calls === 1, 1000);
    await putAll(prefix, { mode: '"reject"' });
    await waitFor('the second call', () => calls === 2, 1000);
    await putAll(prefix, { mode: '"fine"' });
    await waitFor('the third call', () => calls === 3, 1000);
    assert.equal(logs.filter((l) => l.level === 50 && /change handler failed/.test(l.msg)).length, 2);
    assert.equal(source.status().state, 'ok');
  });
});

describe('EtcdLayerSource through etcd outages', () => {
  it('serves the disk copy within connectTimeoutMs while etcd is down, then the live tree once it is back', async () => {
    const cacheFile = join(dir, 'outage-cache.json');
    const seeded = makeSource({ cacheFile });
    await putAll(seeded.prefix, { 'routing/defaultMaxTokens': '1', 'routing/strategy': '"weighted"' });
    const live = await seeded.source.start(() => undefined);
    await seeded.source.close();
    await putAll(seeded.prefix, { 'routing/defaultMaxTokens': '2' });
    await server.stop();

    const { source } = makeSource({ prefix: seeded.prefix, cacheFile, connectTimeoutMs: 400 });
    const { updates, onChange } = recorder();
    const started = performance.now();
    const first = await source.start(onChange);
    const elapsed = performance.now() - started;
    assert.ok(elapsed >= 350 && elapsed < 400 + 200, `start took ${Math.round(elapsed)} ms for a 400 ms bound`);
    assert.deepEqual(first, { tree: live.tree, origin: 'last-known-good', revision: '' });
    const status = source.status();
    assert.equal(status.state, 'degraded');
    assert.match(status.detail, /etcd unreachable/);
    assert.match(status.detail, /last-known-good copy .* saved \d+ s ago/);

    await server.start();
    await waitFor('the live tree', () => updates.length === 1, 5000);
    assert.deepEqual(updates[0]!.tree, { routing: { defaultMaxTokens: 2, strategy: 'weighted' } });
    assert.equal(updates[0]!.origin, 'live');
    await waitFor('status ok', () => source.status().state === 'ok', 2000);
  });

  it('serves an empty layer when etcd is down and there is no copy, and says so', async () => {
    const { source, prefix } = makeSource({ connectTimeoutMs: 300 });
    await putAll(prefix, { banner: '"back"' });
    await server.stop();
    const { updates, onChange } = recorder();
    const started = performance.now();
    const first = await source.start(onChange);
    assert.ok(performance.now() - started < 300 + 200);
    assert.deepEqual(first, { tree: {}, origin: 'empty', revision: '' });
    assert.match(source.status().detail, /empty layer/);

    await server.start();
    await waitFor('the live tree', () => updates.length === 1, 5000);
    assert.deepEqual(updates[0]!.tree, { banner: 'back' });
  });

  it('ignores a damaged disk copy and a copy of another prefix, serving an empty layer instead', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const damaged = join(dir, 'damaged.json');
    await writeFile(damaged, '{"format": 1, "tree": ');
    const first = makeSource({ endpoints: [nowhere], cacheFile: damaged, connectTimeoutMs: 100 });
    assert.equal((await first.source.start(() => undefined)).origin, 'empty');
    assert.ok(first.logs.some((l) => l.level === 40 && /not valid/.test(l.msg)));

    const other = join(dir, 'other-prefix.json');
    await writeFile(other, JSON.stringify({ format: 1, prefix: '/elsewhere/', savedAt: new Date().toISOString(), revision: '9', tree: { banner: 'x' } }));
    const second = makeSource({ endpoints: [nowhere], cacheFile: other, connectTimeoutMs: 100 });
    assert.deepEqual(await second.source.start(() => undefined), { tree: {}, origin: 'empty', revision: '' });
    assert.ok(second.logs.some((l) => l.level === 40 && /another prefix/.test(l.msg)));
  });

  it('calls onChange on reconnect only when the live tree differs from the copy served', async () => {
    const cacheFile = join(dir, 'same-cache.json');
    const seeded = makeSource({ cacheFile });
    await putAll(seeded.prefix, { banner: '"same"' });
    await seeded.source.start(() => undefined);
    await seeded.source.close();
    await server.stop();
    const { source } = makeSource({ prefix: seeded.prefix, cacheFile, connectTimeoutMs: 200 });
    const { updates, onChange } = recorder();
    assert.equal((await source.start(onChange)).origin, 'last-known-good');
    await server.start();
    await waitFor('status ok', () => source.status().state === 'ok', 5000);
    assert.equal(updates.length, 0);
  });

  it('keeps the last tree while etcd is stopped mid-run, then resyncs changes made meanwhile', async () => {
    const { source, prefix, cacheFile } = makeSource();
    const { updates, onChange } = recorder();
    await putAll(prefix, { 'routing/defaultMaxTokens': '10', 'routing/strategy': '"weighted"' });
    const first = await source.start(onChange);
    await waitFor('status ok', () => source.status().state === 'ok', 2000);

    await server.stop();
    await waitFor('status degraded', () => source.status().state === 'degraded', 1000);
    assert.match(source.status().detail, /etcd (watch lost|unreachable).*serving the tree last read from etcd at revision \d+, current \d+ s ago/);
    assert.equal(updates.length, 0, 'the last tree stays in place');

    // Changed while this source cannot see etcd, so only the full read at reconnect can find it.
    await server.start({ offline: true });
    await putAll(prefix, { 'routing/defaultMaxTokens': '20' });
    await withEtcd((client) => client.delete().key(`${prefix}routing/strategy`).exec());
    await server.stop();
    assert.equal(updates.length, 0);
    await server.start();

    await waitFor('the resynced tree', () => updates.length === 1, 5000);
    assert.deepEqual(updates[0]!.tree, { routing: { defaultMaxTokens: 20 } });
    assert.ok(BigInt(updates[0]!.revision) > BigInt(first.revision));
    await waitFor('status ok', () => source.status().state === 'ok', 2000);
    await waitForFile(cacheFile, (data) => isDeepEqual(data.tree, updates[0]!.tree));

    // And the new watch works.
    await putAll(prefix, { 'routing/defaultMaxTokens': '30' });
    await waitFor('a change after the resync', () => updates.length === 2, 1000);
    assert.deepEqual(updates[1]!.tree, { routing: { defaultMaxTokens: 30 } });
  });

  it('close() stops every timer and the client: a process that used it exits by itself', async () => {
    const moduleUrl = new URL('./etcd-layer-source.ts', import.meta.url).href;
    const script = `
      import pino from 'pino';
      import { EtcdLayerSource } from ${JSON.stringify(moduleUrl)};
      const logger = pino({ level: 'silent' });
      const make = (endpoint) => new EtcdLayerSource({ endpoints: [endpoint], prefix: '/exit-test/', cacheFile: ${JSON.stringify(join(dir, 'exit.json'))}, connectTimeoutMs: 300, logger });
      const down = make('http://127.0.0.1:${await freePort()}');
      await down.start(() => {});
      const up = make(${JSON.stringify(server.endpoint)});
      await up.start(() => {});
      while (up.status().state !== 'ok') await new Promise((r) => setTimeout(r, 10));
      await Promise.all([down.close(), up.close()]);
      process.stdout.write('closed\\n');
    `;
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'] });
    let closedAt = 0;
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { if (chunk.toString().includes('closed')) closedAt = performance.now(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    assert.equal(code, 0, stderr);
    assert.ok(closedAt > 0, 'the script finished');
    // etcd3 gives a channel caught mid-connect up to 1 s to settle before closing it (grpc-node#1487).
    assert.ok(performance.now() - closedAt < 1500, `the process lingered ${Math.round(performance.now() - closedAt)} ms after close()`);
  });

  it('let nothing escape: no unhandled rejection or uncaught exception in this file', () => {
    assert.deepEqual(escaped, []);
  });
});

async function waitForFile(file: string, predicate: (data: { tree: unknown }) => boolean): Promise<void> {
  const deadline = performance.now() + 2000;
  for (;;) {
    const data = await readCache(file).catch(() => undefined);
    if (data !== undefined && predicate(data)) return;
    if (performance.now() > deadline) assert.fail(`${file} did not reach the expected content`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
