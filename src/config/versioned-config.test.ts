import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, afterEach, describe, it } from 'node:test';
import pino from 'pino';
import { stringify } from 'yaml';
import { until } from '../../test/support/until.ts';
import { ConfigAdmin } from '../admin/config-admin.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import type { ConfigStore, Storage } from '../storage/ports.ts';
import { ConfigError } from './config-error.ts';
import { readConfigSources } from './load-config.ts';
import { VersionedConfig, type VersionedConfigOptions } from './versioned-config.ts';

const root = mkdtempSync(join(tmpdir(), 'switchboard-versioned-config-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

const BASE = { providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }], routing: { defaultMaxTokens: 1000 } };

/** Log lines as objects, to check what an operator would read. */
function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({ write(chunk: Buffer, _enc, done) { lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>); done(); } });
  return { logger: pino({ level: 'info' }, stream), lines };
}

/** A config store that can be switched off, as a database that went away. */
function switchable(store: ConfigStore): { store: ConfigStore; down: boolean } {
  const state = { down: false, store: undefined as unknown as ConfigStore };
  const guard = <T>(call: () => Promise<T>): Promise<T> => (state.down ? Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:1')) : call());
  state.store = {
    latestVersion: () => guard(() => store.latestVersion()),
    get: (n) => guard(() => store.get(n)),
    list: (q) => guard(() => store.list(q)),
    append: (e, v) => guard(() => store.append(e, v)),
  };
  return state;
}

const opened: VersionedConfig[] = [];
afterEach(async () => {
  for (const v of opened.splice(0)) await v.close();
});

interface Replica { readonly config: VersionedConfig; readonly admin: ConfigAdmin; readonly lines: Array<Record<string, unknown>> }

async function open(storage: Storage, options: Partial<VersionedConfigOptions> & { file?: Record<string, unknown>; path?: string; env?: Record<string, string>; dataDir?: string } = {}): Promise<Replica> {
  const { logger, lines } = capturingLogger();
  const dataDir = options.dataDir ?? join(root, `d${++dirs}`);
  const sources = options.path !== undefined
    ? readConfigSources({ file: options.path, env: options.env ?? {} })
    : readConfigSources({ raw: { ...BASE, dataDir, configSync: { pollIntervalMs: 100 }, ...options.file }, env: options.env ?? {} });
  const config = await VersionedConfig.open({
    sources, store: storage.config, subscribe: (l) => storage.subscribe(l), logger, cacheFile: join(dataDir, 'lkg.json'), storeTimeoutMs: 500, ...options,
  });
  opened.push(config);
  return { config, admin: new ConfigAdmin(config), lines };
}

describe('VersionedConfig', () => {
  it('stores the file as version 1 on a first start, and adds no version for a second process with the same file', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    assert.equal(a.config.current().version, 1);
    assert.equal(a.config.current().config.routing.defaultMaxTokens, 1000);
    const [v1] = await a.config.versions({});
    assert.equal(v1?.author, 'file');
    const b = await open(storage);
    assert.equal(b.config.current().version, 1);
    assert.equal(await storage.config.latestVersion(), 1);
  });

  it('applies an admin change as a new version that another process serves at once', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    const b = await open(storage);
    const seen: number[] = [];
    b.config.onChange((next, previous) => seen.push(previous.version, next.version));
    const before = b.config.current();
    const result = await a.admin.patch({ routing: { defaultMaxTokens: 2000 } }, 'key-1');
    assert.deepEqual(result.changes, [{ path: 'routing.defaultMaxTokens', before: 1000, after: 2000 }]);
    assert.equal(result.version, 2);
    await until(() => b.config.current().version === 2, 'the other process to take version 2', 1000);
    assert.equal(b.config.current().config.routing.defaultMaxTokens, 2000);
    assert.deepEqual(seen, [1, 2]);
    assert.equal(before.config.routing.defaultMaxTokens, 1000, 'a snapshot taken before the swap is unchanged');
    assert.ok(Object.isFrozen(b.config.current().config.routing));
    const record = await a.config.version(2);
    assert.equal(record.author, 'key-1');
    assert.deepEqual(record.diff, [{ path: 'routing.defaultMaxTokens', before: 1000, after: 2000 }]);
  });

  it('finds a version it was not told about by polling', async () => {
    const storage = createMemoryStorage();
    const deaf: Storage = { ...storage, subscribe: () => () => {} };
    const a = await open(storage);
    const b = await open(deaf);
    await a.admin.patch({ routing: { defaultMaxTokens: 3000 } }, 'key-1');
    await until(() => b.config.current().version === 2, 'the poll to find version 2', 1000);
  });

  it('keeps its version when a newer one cannot be used here (a secret missing), and says so once', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage, { env: { TEAM_KEY: 'sk-team' } });
    const b = await open(storage);
    await a.admin.patch({ providers: [...BASE.providers, { name: 'openai', type: 'openai', apiKey: 'env:TEAM_KEY' }] }, 'k');
    await until(() => b.lines.some((l) => /cannot be used by this process/.test(String(l.msg))), 'the refusal to be logged', 1000);
    await new Promise((resolve) => setTimeout(resolve, 350));
    assert.equal(b.config.current().version, 1);
    assert.equal(b.lines.filter((l) => /cannot be used by this process/.test(String(l.msg))).length, 1, 'not again at every poll');
    assert.match(JSON.stringify(b.lines.find((l) => /cannot be used/.test(String(l.msg)))?.issues), /providers\.1\.apiKey/);
  });

  it('refuses an invalid change whole, listing every problem with its path, and keeps serving', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    await assert.rejects(a.admin.patch({ routing: { defaultMaxTokens: -1 }, providers: [{ name: 'x', type: 'nope' }], pricing: { m: { inputPerMTok: 1, outputPerMTok: 1 } } }, 'k'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      const paths = err.issues.map((i) => i.path);
      assert.ok(paths.includes('routing.defaultMaxTokens'), paths.join());
      assert.ok(paths.includes('providers.0.type'), paths.join());
      return true;
    });
    assert.equal(await storage.config.latestVersion(), 1);
    assert.equal(a.config.current().version, 1);
    assert.deepEqual(a.config.current().config.pricing, {}, 'the valid part of the change was not applied either');
  });

  it('refuses references to a missing model, provider or secret', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    await assert.rejects(a.admin.patch({
      routingRules: [{ name: 'r', targetModels: [{ modelId: 'no-such-model' }] }],
      models: [{ name: 'm', provider: 'ghost' }],
      providers: [...BASE.providers, { name: 'openai', type: 'openai', apiKey: 'env:NOT_SET_ANYWHERE' }],
    }, 'k'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.path).sort(), ['models.0.provider', 'routingRules.0.targetModels.0.modelId']);
      return true;
    });
    await assert.rejects(a.admin.patch({ providers: [...BASE.providers, { name: 'openai', type: 'openai', apiKey: 'env:NOT_SET_ANYWHERE' }] }, 'k'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.path), ['providers.1.apiKey']);
      return true;
    });
    await assert.rejects(a.admin.patch({ providers: [{ name: 'openai', type: 'openai', apiKey: 'sk-live-secret' }] }, 'k'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.issues[0]?.message ?? '', /env:NAME or file:\/path/);
      assert.doesNotMatch(JSON.stringify(err.issues), /sk-live-secret/);
      return true;
    });
    assert.equal(await storage.config.latestVersion(), 1);
  });

  it('refuses process settings through the admin API', async () => {
    const a = await open(createMemoryStorage());
    await assert.rejects(a.admin.patch({ server: { port: 1 }, routing: { defaultMaxTokens: 5 } }, 'k'), (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.deepEqual(err.issues.map((i) => i.path), ['server']);
      return true;
    });
  });

  it('gives two processes writing at once consecutive versions, neither change lost', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    const b = await open(storage);
    const [ra, rb] = await Promise.all([
      a.admin.patch({ pricing: { 'model-a': { inputPerMTok: 1, outputPerMTok: 2 } } }, 'a'),
      b.admin.patch({ routing: { defaultMaxTokens: 7 } }, 'b'),
    ]);
    assert.deepEqual([ra.version, rb.version].sort(), [2, 3]);
    await until(() => a.config.current().version === 3 && b.config.current().version === 3, 'both on version 3', 1000);
    for (const r of [a, b]) {
      assert.equal(r.config.current().config.routing.defaultMaxTokens, 7);
      assert.ok(r.config.current().config.pricing['model-a'] !== undefined);
    }
  });

  it('imports (dry run first), exports, round-trips and rolls back', async () => {
    const storage = createMemoryStorage();
    const a = await open(storage);
    const wanted = {
      ...a.admin.export().config,
      routingRules: [{ name: 'creative', condition: { agentType: ['creative'] }, targetModels: [{ modelId: 'mock-large', weight: 1 }] }],
      workspaceConfigs: { 'ws-1': { modelRestrictions: ['mock'], budgetLimits: { daily: 10 } } },
    };
    const dry = await a.admin.import(wanted, 'k', true);
    assert.equal(dry.applied, false);
    assert.ok(dry.changes.some((c) => c.path === 'routingRules'), JSON.stringify(dry.changes));
    assert.ok(dry.changes.some((c) => c.path === 'workspaces.ws-1'), JSON.stringify(dry.changes));
    assert.equal(await storage.config.latestVersion(), 1, 'a dry run stores nothing');
    const done = await a.admin.import(wanted, 'k');
    assert.equal(done.version, 2);
    assert.equal(a.config.current().config.workspaces['ws-1']?.budgetLimits?.daily, 10);
    const exported = a.admin.export();
    const again = await a.admin.import(exported.config, 'k');
    assert.equal(again.applied, false, 'importing an export changes nothing');
    assert.deepEqual(again.changes, []);
    const back = await a.admin.rollback(1, 'k');
    assert.equal(back.version, 3);
    assert.deepEqual(a.config.current().config.routingRules, []);
    assert.equal((await a.config.versions({ limit: 1 }))[0]?.summary, 'rollback to 1');
    await assert.rejects(a.admin.rollback(99, 'k'), { code: 'SB_CONFIG_VERSION_NOT_FOUND' });
  });

  it('starts on its last-known-good copy while the store is down, reports degraded, and catches up', async () => {
    const storage = createMemoryStorage();
    const dataDir = join(root, `d${++dirs}`);
    const a = await open(storage, { dataDir });
    await a.admin.patch({ routing: { defaultMaxTokens: 4242 } }, 'k');
    await a.config.close();
    const flaky = switchable(storage.config);
    flaky.down = true;
    const b = await open({ ...storage, config: flaky.store }, { dataDir });
    assert.equal(b.config.current().version, 2, 'the copy on disk');
    assert.equal(b.config.current().config.routing.defaultMaxTokens, 4242);
    assert.equal(b.config.status().state, 'degraded');
    await assert.rejects(b.admin.patch({ routing: { defaultMaxTokens: 1 } }, 'k'), { code: 'SB_CONFIG_STORE_UNAVAILABLE' });
    await storage.config.append({ author: 'elsewhere', summary: 'x', createdAt: new Date().toISOString(), content: (await storage.config.get(2))!.content, diff: [] }, 2);
    flaky.down = false;
    await until(() => b.config.status().state === 'ok' && b.config.current().version === 3, 'catching up with version 3', 2000);
  });

  it('starts on the file alone when the store is down and there is no copy', async () => {
    const flaky = switchable(createMemoryStorage().config);
    flaky.down = true;
    const storage = createMemoryStorage();
    const b = await open({ ...storage, config: flaky.store });
    assert.equal(b.config.current().version, 0);
    assert.equal(b.config.current().config.routing.defaultMaxTokens, 1000);
    assert.ok(b.lines.some((l) => /no last-known-good copy/.test(String(l.msg))));
  });

  it('applies an edit of the watched file, and refuses an invalid one with its errors logged', async () => {
    const storage = createMemoryStorage();
    const dir = join(root, `f${++dirs}`);
    const path = join(root, `switchboard-${dirs}.yaml`);
    const write = (tree: Record<string, unknown>): void => writeFileSync(path, stringify({ ...BASE, dataDir: dir, configSync: { pollIntervalMs: 100 }, ...tree }));
    write({});
    const a = await open(storage, { path, dataDir: dir });
    assert.equal(a.config.current().version, 1);
    write({ routing: { defaultMaxTokens: 1234 } });
    await until(() => a.config.current().version === 2, 'the file edit to be applied', 3000);
    assert.equal(a.config.current().config.routing.defaultMaxTokens, 1234);
    assert.equal((await a.config.version(2)).author, 'file');
    write({ routing: { defaultMaxTokens: 'lots' } });
    await until(() => a.lines.some((l) => /file change refused/.test(String(l.msg))), 'the refusal to be logged', 3000);
    const refusal = a.lines.find((l) => /file change refused/.test(String(l.msg)));
    assert.match(JSON.stringify(refusal?.issues), /routing\.defaultMaxTokens/);
    assert.equal(a.config.current().version, 2, 'the previous version keeps serving');
    writeFileSync(path, 'routing: [unclosed');
    await until(() => a.lines.some((l) => /configuration file edit refused/.test(String(l.msg))), 'the YAML error to be logged', 3000);
    assert.equal(a.config.current().version, 2);
  });
});
