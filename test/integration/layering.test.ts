// The layering rules of DESIGN.md §3 run in `npm test` through ESLint; this proves they report what they should,
// through the repository's own ESLint config (`eslint .` in `npm test` holds the tree to them).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const eslint = new ESLint({ cwd: process.cwd() });

async function layeringMessages(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  assert.ok(result);
  return result.messages.filter((m) => m.ruleId === 'switchboard/layering').map((m) => m.message);
}

describe('layering rules', () => {
  it('keep fastify inside http/, app.ts and main.ts', async () => {
    const code = "import Fastify from 'fastify';\nexport const app = Fastify;\n";
    assert.match((await layeringMessages('src/routing/new-thing.ts', code))[0] ?? '', /fastify may be imported only in http/);
    assert.match((await layeringMessages('src/usage/x.ts', "import cors from '@fastify/cors';\nexport { cors };\n"))[0] ?? '', /@fastify\/cors/);
    assert.deepEqual(await layeringMessages('src/http/routes/new-route.ts', code), []);
    assert.deepEqual(await layeringMessages('src/app.ts', code), []);
  });

  it('let storage import only domain, errors and config', async () => {
    const bad = "import type { Plan } from '../../routing/executor.ts';\nexport type P = Plan;\n";
    assert.match((await layeringMessages('src/storage/sqlite/new-store.ts', bad))[0] ?? '', /src\/storage may not import src\/routing/);
    const reexport = "export * from '../usage/record-pipeline.ts';\n";
    assert.match((await layeringMessages('src/storage/ports.ts', reexport))[0] ?? '', /may not import src\/usage/);
    const ok = "import type { UsageRecord } from '../domain/usage-record.ts';\nexport type U = UsageRecord;\n";
    assert.deepEqual(await layeringMessages('src/storage/ports.ts', ok), []);
  });

  it('let only main.ts pick concrete adapters', async () => {
    const sqlite = "import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';\nexport { openSqliteStorage };\n";
    assert.match((await layeringMessages('src/http/app-deps.ts', sqlite)).join(), /concrete adapter/);
    const mock = "const m = await import('../providers/mock/mock-provider.ts');\nexport { m };\n";
    assert.match((await layeringMessages('src/routing/late.ts', mock)).join(), /concrete adapter/);
    assert.deepEqual(await layeringMessages('src/main.ts', sqlite), []);
    assert.match((await layeringMessages('src/usage/x.ts', "import { DatabaseSync } from 'node:sqlite';\nexport { DatabaseSync };\n")).join(), /node:sqlite/);
  });

  it('point lower layers away from features', async () => {
    const code = "import { Executor } from '../routing/executor.ts';\nexport { Executor };\n";
    for (const area of ['providers', 'modes', 'upstream', 'usage', 'observability', 'domain']) {
      assert.equal((await layeringMessages(`src/${area}/x.ts`, code)).length, 1, area);
    }
    assert.deepEqual(await layeringMessages('src/http/x.ts', code), []);
  });

  it('let modes wrap the provider seam but never pick a concrete provider', async () => {
    const seam = "import type { ProviderAdapter } from '../providers/provider-adapter.ts';\nexport type P = ProviderAdapter;\n";
    assert.deepEqual(await layeringMessages('src/modes/embedded-provider.ts', seam), []);
    const concrete = "import { HttpProvider } from '../providers/http-provider.ts';\nexport { HttpProvider };\n";
    assert.match((await layeringMessages('src/modes/embedded-provider.ts', concrete)).join(), /concrete adapter/);
  });

  it('exempt tests, which wire real adapters on purpose', async () => {
    const code = "import Fastify from 'fastify';\nimport { openSqliteStorage } from './sqlite/sqlite-storage.ts';\nexport { Fastify, openSqliteStorage };\n";
    assert.deepEqual(await layeringMessages('src/storage/x.test.ts', code), []);
  });
});
