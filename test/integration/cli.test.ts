/**
 * The `switchboard` CLI: runCli in-process against a temporary data directory, and the real entry point
 * (src/cli/main.ts) once as a child process.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hashApiKey, keyPrefix } from '../../src/auth/api-key.ts';
import { runCli, USAGE } from '../../src/cli/run-cli.ts';
import { createSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'switchboard-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

interface Run { readonly code: number; readonly out: string; readonly err: string }
type Flags = Parameters<typeof runCli>[1];

async function cli(args: string[], flags: Flags = {}, env: Record<string, string> = {}): Promise<Run> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, flags, { out: (t) => out.push(t), err: (t) => err.push(t) }, env);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function file(name: string, text: string): string {
  const path = join(dir, `${++n}-${name}`);
  writeFileSync(path, text);
  return path;
}

/** A fresh, empty data directory and the environment that points the CLI at it. */
function dataEnv(): { env: Record<string, string>; dataDir: string } {
  const dataDir = join(dir, `data-${++n}`);
  return { env: { SWITCHBOARD_DATA_DIR: dataDir }, dataDir };
}

const GOOD = `
server:
  port: 3000
providers:
  - name: groq
    type: openai-compatible
    baseUrl: https://api.groq.com/openai/v1
    apiKeyEnv: GROQ_API_KEY
    models: [llama-3.3-70b-versatile]
models:
  - name: fast
    provider: groq
    model: llama-3.3-70b-versatile
`;

const BAD = `
server:
  port: 99999
  colour: blue
logLevel: chatty
providers:
  - name: Groq
    type: openai-compatible
`;

describe('switchboard config validate', () => {
  it('accepts a good file: exit 0 and a summary', async () => {
    const path = file('good.yaml', GOOD);
    const run = await cli(['config', 'validate', path]);
    assert.equal(run.code, 0);
    assert.equal(run.out, `${path}: valid (1 providers, 1 models)`);
    assert.equal(run.err, '');
  });

  it('refuses a bad file: exit 1 and every issue with its path', async () => {
    const path = file('bad.yaml', BAD);
    const run = await cli(['config', 'validate', path]);
    assert.equal(run.code, 1);
    assert.equal(run.out, '');
    assert.match(run.err, new RegExp(`^invalid configuration \\(${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\):`));
    for (const line of [/- server\.port: .*65535/, /- server: Unrecognized key: "colour"/, /- logLevel: /, /- providers\.0\.name: /]) {
      assert.match(run.err, line);
    }
  });

  it('reports a missing file', async () => {
    const run = await cli(['config', 'validate', join(dir, 'nope.yaml')]);
    assert.equal(run.code, 1);
    assert.match(run.err, /cannot read file: ENOENT/);
  });

  it('checks the file alone, ignoring the environment', async () => {
    const run = await cli(['config', 'validate', file('good.yaml', GOOD)], {}, { HTTP_PORT: 'not-a-port' });
    assert.equal(run.code, 0);
  });

  it('needs a file name', async () => {
    const run = await cli(['config', 'validate']);
    assert.equal(run.code, 2);
    assert.equal(run.err, USAGE);
  });
});

describe('switchboard keys', () => {
  it('creates a key (--json), lists it (--json) and revokes it by prefix', async () => {
    const { env, dataDir } = dataEnv();
    const created = await cli(['keys', 'create'], { name: 'x', role: 'inference', models: 'a,b', json: true }, env);
    assert.equal(created.code, 0, created.err);
    const key = JSON.parse(created.out) as Record<string, unknown>;
    assert.equal(key.name, 'x');
    assert.equal(key.role, 'member', 'inference, the role before workspaces, makes a member');
    assert.deepEqual(key.models, ['a', 'b']);
    assert.equal(key.revokedAt, null);
    assert.equal(typeof key.key, 'string');
    assert.equal(keyPrefix(key.key as string), key.prefix);
    assert.equal('hash' in key, false);
    assert.ok(existsSync(join(dataDir, 'switchboard.db')), 'the database lives in SWITCHBOARD_DATA_DIR');

    const listed = await cli(['keys', 'list'], { json: true }, env);
    assert.equal(listed.code, 0);
    const list = JSON.parse(listed.out) as Array<Record<string, unknown>>;
    const { key: _secret, ...publicView } = key;
    assert.deepEqual(list, [publicView]);
    assert.ok(!listed.out.includes(key.key as string), 'the secret is never listed');

    const revoked = await cli(['keys', 'revoke', key.prefix as string], {}, env);
    assert.equal(revoked.code, 0, revoked.err);
    assert.equal(revoked.out, `revoked ${key.prefix as string} (x)`);

    const after = JSON.parse((await cli(['keys', 'list'], { json: true }, env)).out) as Array<Record<string, unknown>>;
    assert.equal(typeof after[0]?.revokedAt, 'string');
  });

  it('stores only the hash of a created key', async () => {
    const { env, dataDir } = dataEnv();
    const created = JSON.parse((await cli(['keys', 'create'], { name: 'ops', role: 'admin', json: true }, env)).out) as { id: string; key: string };
    const storage = createSqliteStorage({ path: join(dataDir, 'switchboard.db') });
    try {
      const record = await storage.keys.get(created.id);
      assert.equal(record?.hash, hashApiKey(created.key));
      assert.equal(record?.role, 'admin');
      assert.equal(record?.models, null);
    } finally {
      await storage.close();
    }
  });

  it('prints a created key for people without --json, defaulting to a member key named "cli"', async () => {
    const { env } = dataEnv();
    const run = await cli(['keys', 'create'], {}, env);
    assert.equal(run.code, 0);
    const match = /^created member key (sb_[0-9a-f]{8}) \(id ([0-9a-f-]{36})\)\n\n {2}(\S+)\n\nIt is shown only this once\.$/.exec(run.out);
    assert.ok(match, run.out);
    assert.equal(keyPrefix(match[3]!), match[1]);
    const list = JSON.parse((await cli(['keys', 'list'], { json: true }, env)).out) as Array<{ name: string; models: unknown }>;
    assert.equal(list[0]?.name, 'cli');
    assert.equal(list[0]?.models, null);
  });

  it('lists keys as text, newest first, and says so when there are none', async () => {
    const { env } = dataEnv();
    assert.equal((await cli(['keys', 'list'], {}, env)).out, 'no keys');
    const first = JSON.parse((await cli(['keys', 'create'], { name: 'first', json: true }, env)).out) as { prefix: string; id: string };
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = JSON.parse((await cli(['keys', 'create'], { name: 'second', role: 'admin', json: true }, env)).out) as { prefix: string };
    await cli(['keys', 'revoke', first.id], {}, env);
    const lines = (await cli(['keys', 'list'], {}, env)).out.split('\n');
    assert.equal(lines.length, 2);
    // created, then last used ("never", padded to the width of an ISO time)
    assert.match(lines[0]!, new RegExp(`^${second.prefix} {2}admin {5}\\* {12}active {3}\\S+ {2}never {21}second {2}[0-9a-f-]{36}$`));
    assert.match(lines[1]!, new RegExp(`^${first.prefix} {2}member {4}default {6}revoked {2}\\S+ {2}never {21}first {2}${first.id}$`));
  });

  it('refuses an unknown role', async () => {
    const { env } = dataEnv();
    const run = await cli(['keys', 'create'], { name: 'x', role: 'root' }, env);
    assert.equal(run.code, 1);
    assert.equal(run.err, '--role must be one of admin, operator, member, viewer, inference');
    assert.equal((await cli(['keys', 'list'], {}, env)).out, 'no keys');
  });

  it('says so when the key to revoke does not exist', async () => {
    const { env } = dataEnv();
    const run = await cli(['keys', 'revoke', 'sb_00000000'], {}, env);
    assert.equal(run.code, 1);
    assert.equal(run.err, 'No API key has this id or prefix.');
  });

  it('shows the usage for an unknown keys subcommand or a revoke without an id', async () => {
    const { env } = dataEnv();
    for (const args of [['keys', 'rotate'], ['keys', 'revoke']]) {
      const run = await cli(args, {}, env);
      assert.equal(run.code, 1, args.join(' '));
      assert.equal(run.err, USAGE);
    }
  });

  it('finds the data directory through --config and SWITCHBOARD_CONFIG', async () => {
    const dataDir = join(dir, `data-${++n}`);
    const config = file('data.yaml', `dataDir: ${JSON.stringify(dataDir)}\n`);
    assert.equal((await cli(['keys', 'create'], { name: 'by-flag', config }, {})).code, 0);
    const viaEnv = JSON.parse((await cli(['keys', 'list'], { json: true }, { SWITCHBOARD_CONFIG: config })).out) as Array<{ name: string }>;
    assert.deepEqual(viaEnv.map((k) => k.name), ['by-flag']);
    assert.ok(existsSync(join(dataDir, 'switchboard.db')));
  });

  it('stops at a bad configuration before touching the database', async () => {
    const { env, dataDir } = dataEnv();
    const run = await cli(['keys', 'list'], {}, { ...env, HTTP_PORT: 'eighty' });
    assert.equal(run.code, 1);
    assert.match(run.err, /server\.port: .*\(from HTTP_PORT\)/);
    assert.equal(existsSync(dataDir), false);
  });
});

describe('switchboard migrate, help and unknown commands', () => {
  it('migrate creates the database and says the schema is up to date', async () => {
    const { env, dataDir } = dataEnv();
    const run = await cli(['migrate'], {}, env);
    assert.equal(run.code, 0);
    assert.equal(run.out, 'database schema is up to date');
    assert.ok(existsSync(join(dataDir, 'switchboard.db')));
  });

  it('help and --help print the usage with exit 0', async () => {
    for (const [args, flags] of [[['help'], {}], [['keys'], { help: true }]] as const) {
      const run = await cli([...args], flags);
      assert.equal(run.code, 0);
      assert.equal(run.out, USAGE);
    }
  });

  it('an unknown command exits 2 with the usage on stderr', async () => {
    for (const args of [['frobnicate'], ['keys'], ['config'], ['config', 'check', 'x.yaml']]) {
      const run = await cli(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.equal(run.err, USAGE);
      assert.equal(run.out, '');
    }
    assert.match(USAGE, /^usage: switchboard <command>/);
  });
});

describe('the real entry point (src/cli/main.ts)', () => {
  const exec = promisify(execFile);
  const env = { PATH: process.env.PATH ?? '', SWITCHBOARD_DATA_DIR: join(dir, 'child-data') };

  it('validates a good file with exit 0', async () => {
    const path = file('child-good.yaml', GOOD);
    const { stdout, stderr } = await exec(process.execPath, ['src/cli/main.ts', 'config', 'validate', path], { cwd: ROOT, env, timeout: 30_000 });
    assert.equal(stdout, `${path}: valid (1 providers, 1 models)\n`);
    assert.equal(stderr, '');
  });

  it('exits 1 with the issues on stderr for a bad file', async () => {
    const path = file('child-bad.yaml', BAD);
    await assert.rejects(
      exec(process.execPath, ['src/cli/main.ts', 'config', 'validate', path], { cwd: ROOT, env, timeout: 30_000 }),
      (err: { code?: number; stdout?: string; stderr?: string }) => {
        assert.equal(err.code, 1);
        assert.equal(err.stdout, '');
        assert.match(err.stderr ?? '', /server\.port: /);
        assert.match(err.stderr ?? '', /providers\.0\.name: /);
        return true;
      },
    );
  });

  it('exits 2 with the usage for an unknown command', async () => {
    await assert.rejects(
      exec(process.execPath, ['src/cli/main.ts', 'frobnicate'], { cwd: ROOT, env, timeout: 30_000 }),
      (err: { code?: number; stderr?: string }) => err.code === 2 && err.stderr === `${USAGE}\n`,
    );
  });
});

describe('switchboard config export | import | versions | rollback', () => {
  it('imports a file (dry run first), lists the versions, exports and rolls back, on the embedded store', async () => {
    const { env } = dataEnv();
    const empty = await cli(['config', 'export'], {}, env);
    assert.equal(empty.code, 0, empty.err);
    assert.equal(JSON.parse(empty.out).version, 0, 'nothing stored yet: the file and environment alone');
    const sections = file('import.yaml', [
      'config:',
      '  pricing:',
      '    my-model: { inputPerMTok: 1, outputPerMTok: 2 }',
      '  workspaceConfigs:',
      '    ws-1: { budgetLimits: { daily: 5 } }',
    ].join('\n'));
    const dry = await cli(['config', 'import', sections], { 'dry-run': true }, env);
    assert.equal(dry.code, 0, dry.err);
    assert.equal(JSON.parse(dry.out).applied, false);
    assert.ok(JSON.parse(dry.out).changes.length > 0);
    const done = await cli(['config', 'import', sections], {}, env);
    assert.equal(done.code, 0, done.err);
    assert.equal(JSON.parse(done.out).version, 1);
    const exported = JSON.parse((await cli(['config', 'export'], {}, env)).out);
    assert.equal(exported.version, 1);
    assert.equal(exported.config.workspaces['ws-1'].budgetLimits.daily, 5);
    const second = file('second.json', JSON.stringify({ routing: { defaultMaxTokens: 77 } }));
    assert.equal((await cli(['config', 'import', second], {}, env)).code, 0);
    const list = await cli(['config', 'versions'], { json: true }, env);
    assert.deepEqual(JSON.parse(list.out).map((v: { version: number; author: string }) => [v.version, v.author]), [[2, 'cli'], [1, 'cli']]);
    const back = await cli(['config', 'rollback', '1'], {}, env);
    assert.equal(back.code, 0, back.err);
    assert.match(back.out, /version 3 is current/);
    assert.equal(JSON.parse((await cli(['config', 'export'], {}, env)).out).config.routing.defaultMaxTokens, 4096);
  });

  it('refuses an invalid import with every problem listed, exit code 1, nothing applied', async () => {
    const { env } = dataEnv();
    const bad = file('bad.json', JSON.stringify({ config: { routing: { defaultMaxTokens: -1 }, colour: 'x' } }));
    const res = await cli(['config', 'import', bad], {}, env);
    assert.equal(res.code, 1);
    assert.match(res.err, /colour/);
    const bad2 = file('bad2.json', JSON.stringify({ config: { routing: { defaultMaxTokens: -1 }, models: [{ name: 'm', provider: 'ghost' }] } }));
    const res2 = await cli(['config', 'import', bad2], {}, env);
    assert.equal(res2.code, 1);
    assert.match(res2.err, /routing\.defaultMaxTokens/);
    assert.equal(JSON.parse((await cli(['config', 'versions'], { json: true }, env)).out).length, 0);
    assert.equal((await cli(['config', 'rollback', '9'], {}, env)).code, 1);
  });
});
