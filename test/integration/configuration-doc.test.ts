/**
 * docs/configuration.md against the code: every setting of the schema is documented with its real default and
 * environment variable, and the complete YAML example is a valid configuration that does what the text says.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig, validateConfigFile } from '../../src/config/load-config.ts';
import { configSchema, modelSchema, providerSchema } from '../../src/config/schema.ts';
import type { WireFormat } from '../../src/providers/provider-adapter.ts';
import { ModelCatalogue } from '../../src/routing/model-catalogue.ts';

const DOC = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
const DEFAULTS = configSchema.parse({}) as unknown as Record<string, unknown>;

interface SettingRow { readonly path: string; readonly defaultText: string; readonly envVar: string | undefined }

/** Rows of the settings tables: | `path` | default | `ENV` or — | meaning |. */
function settingRows(): Map<string, SettingRow> {
  const rows = new Map<string, SettingRow>();
  for (const line of DOC.split('\n')) {
    const match = /^\| `([a-zA-Z.]+)` \| ([^|]+) \| ([^|]+) \| [^|]+ \|$/.exec(line);
    if (match === null || !match[1]!.includes('.') && !Object.hasOwn(configSchema.shape, match[1]!)) continue;
    const env = /^`([A-Z_]+)`$/.exec(match[3]!.trim())?.[1];
    rows.set(match[1]!, { path: match[1]!, defaultText: match[2]!.trim(), envVar: env });
  }
  return rows;
}

function valueAt(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], tree);
}

/** Every documented-level setting: server.*, routing.*, usage.* leaves and the other top-level keys. */
function schemaSettings(): string[] {
  const out: string[] = [];
  for (const key of Object.keys(configSchema.shape)) {
    const value = DEFAULTS[key];
    if (key === 'server' || key === 'routing' || key === 'usage') {
      for (const leaf of Object.keys(value as object)) out.push(`${key}.${leaf}`);
    } else {
      out.push(key);
    }
  }
  return out;
}

describe('docs/configuration.md settings', () => {
  const rows = settingRows();

  it('documents every setting of the schema', () => {
    const missing = schemaSettings().filter((path) => !rows.has(path));
    assert.deepEqual(missing, []);
  });

  it('documents every provider and model field', () => {
    for (const field of [...Object.keys(providerSchema.shape), ...Object.keys(modelSchema.shape)]) {
      assert.ok(DOC.includes(`| \`${field}\` |`), `field ${field}`);
    }
  });

  it('gives the real default of each scalar setting', () => {
    for (const row of rows.values()) {
      const value = valueAt(DEFAULTS, row.path);
      if (value === undefined || typeof value === 'object') continue;
      assert.ok(row.defaultText.startsWith(`\`${String(value)}\``), `${row.path}: documented ${row.defaultText}, real ${String(value)}`);
    }
  });

  it('names the environment variable that really overrides each setting', () => {
    const overridden = [...rows.values()].filter((row) => row.envVar !== undefined && row.path !== 'providers');
    assert.ok(overridden.length >= 8);
    for (const row of overridden) {
      const candidates = ['1234', 'debug', '127.0.0.1', 'an-admin-key-0123456789', 'postgres://127.0.0.1:5432/switchboard', 'http://127.0.0.1:2379', 'switchboard_prod', '/prefix/', 'redis://127.0.0.1:6379/2'];
      const applied = candidates.some((candidate) => {
        try {
          const value = valueAt(loadConfig({ env: { [row.envVar!]: candidate } }), row.path);
          return String(value) === candidate;
        } catch {
          return false;
        }
      });
      assert.ok(applied, `${row.envVar} does not set ${row.path}`);
    }
  });

  it('lists the default routing prefixes', () => {
    const { prefixes } = DEFAULTS.routing as { prefixes: Record<string, string> };
    for (const [prefix, provider] of Object.entries(prefixes)) {
      assert.ok(DOC.includes(`    ${prefix}: ${provider}\n`), `${prefix}: ${provider}`);
    }
  });
});

describe('docs/configuration.md complete example', () => {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-doc-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const yaml = /```yaml\n(# switchboard\.yaml[\s\S]*?)```/.exec(DOC)?.[1];
  const file = join(dir, 'switchboard.yaml');

  it('is present', () => {
    assert.ok(yaml, 'no ```yaml block starting with "# switchboard.yaml"');
    writeFileSync(file, yaml);
  });

  it('passes `config validate` with the counts the text shows', () => {
    const config = validateConfigFile(file);
    assert.ok(DOC.includes(`valid (${config.providers.length} providers, ${config.models.length} models)`));
  });

  it('resolves models the way the text says', () => {
    const config = loadConfig({ file, env: {} });
    const formats = new Map<string, WireFormat>(config.providers.map((p) => [p.name, p.type === 'anthropic' ? 'anthropic' : 'openai']));
    const catalogue = new ModelCatalogue(config, formats);
    const target = (model: string): readonly [string, string] => {
      const t = catalogue.resolve(model).targets[0]!;
      return [t.provider, t.model];
    };
    assert.deepEqual(target('fast'), ['groq', 'llama-3.3-70b-versatile']);
    assert.deepEqual(target('quick'), ['groq', 'llama-3.3-70b-versatile']);
    assert.deepEqual(target('smart'), ['anthropic', 'claude-sonnet-4-5-20250929']);
    assert.deepEqual(target('gpt-4o-eu-resident'), ['azure', 'gpt-4o']);
    assert.equal(config.providers.find((p) => p.name === 'azure')?.deployments['gpt-4o'], 'prod-gpt-4o');
    assert.deepEqual(target('openai/gpt-oss-120b'), ['openai', 'gpt-oss-120b']);
    assert.deepEqual(target('groq/openai/gpt-oss-120b'), ['groq', 'openai/gpt-oss-120b']);
    assert.deepEqual(target('claude-opus-4-1'), ['anthropic', 'claude-opus-4-1']);
    assert.deepEqual(target('llama3.2'), ['ollama', 'llama3.2']);
    assert.throws(() => target('mock-slow'), /No configured provider serves model "mock-slow"/, 'no mock beside real providers');
  });

  it('lets the environment override what the file sets', () => {
    const config = loadConfig({ file, env: { HTTP_PORT: '9000', SWITCHBOARD_DATA_DIR: '/elsewhere' } });
    assert.equal(config.server.port, 9000);
    assert.equal(config.dataDir, '/elsewhere');
  });
});
