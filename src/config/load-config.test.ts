import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError } from './config-error.ts';
import { loadConfig, validateConfigFile } from './load-config.ts';
import type { Config } from './schema.ts';

/** usage.sinks as defaulted: both message sinks off (open-sinks.test.ts checks the fields and their environment variables). */
const SINKS_OFF = {
  nats: { enabled: false, servers: ['nats://127.0.0.1:4222'], stream: 'SWITCHBOARD_RECORDS', subjectPrefix: 'switchboard', duplicateWindowMs: 120_000, deliverTimeoutMs: 10_000 },
  kafka: { enabled: false, brokers: [], clientId: 'switchboard', usageTopic: 'switchboard.usage', auditTopic: 'switchboard.audit', deliverTimeoutMs: 10_000 },
};

const dir = mkdtempSync(join(tmpdir(), 'switchboard-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function writeConfig(text: string, ext = 'yaml'): string {
  const file = join(dir, `${++files}.${ext}`);
  writeFileSync(file, text);
  return file;
}

/** Runs `load` and returns the ConfigError it must throw. */
function configError(load: () => unknown): ConfigError {
  try {
    load();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a ConfigError');
}

function issueAt(err: ConfigError, path: string): string {
  const issue = err.issues.find((i) => i.path === path);
  assert.ok(issue, `no issue at "${path}"; issues: ${JSON.stringify(err.issues)}`);
  return issue.message;
}

function provider(config: Config, name: string): Config['providers'][number] | undefined {
  return config.providers.find((p) => p.name === name);
}

describe('loadConfig defaults', () => {
  it('needs no file and no environment', () => {
    const config = loadConfig({ env: {} });
    assert.deepEqual(config.server, {
      host: '0.0.0.0', port: 8080, metricsPort: 9090, bodyLimitBytes: 10 * 1024 * 1024,
      shutdownGraceMs: 30_000, requestTimeoutMs: 600_000, accessLog: false,
      maxBufferedResponseBytes: 256 * 1024 * 1024, maxStreamEventBytes: 8 * 1024 * 1024, trustedProxies: [],
    });
    assert.equal(config.logLevel, 'info');
    assert.equal(config.dataDir, './data');
    assert.equal(config.adminKey, undefined);
    assert.deepEqual(config.models, []);
    assert.deepEqual(config.pricing, {});
    assert.deepEqual(config.usage, { flushIntervalMs: 1000, batchSize: 500, maxBuffered: 100_000, journal: { enabled: true, whenFull: 'refuse', commitIntervalMs: 10, syncIntervalMs: 1000, segmentBytes: 16 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024 }, sinks: SINKS_OFF, retention: { rawDays: 30, rollupDays: 400, auditDays: 400, intervalMs: 3_600_000 }, rollups: { enabled: true, intervalMs: 60_000 } });
    assert.equal(config.routing.defaultMaxTokens, 4096);
    assert.deepEqual(config.routing.prefixes, {
      'gpt-': 'openai', 'o1': 'openai', 'o3': 'openai', 'o4': 'openai', 'chatgpt-': 'openai',
      'text-embedding-': 'openai', 'claude-': 'anthropic', 'mock': 'mock',
    });
  });

  it('has the built-in mock provider, and only it, when nothing else is configured', () => {
    const config = loadConfig({ env: {} });
    assert.equal(config.providers.length, 1);
    assert.deepEqual(provider(config, 'mock'), {
      name: 'mock', type: 'mock', models: ['mock', 'mock-large'], deployments: {}, headers: {},
      timeoutMs: 60_000, idleTimeoutMs: 120_000, connections: 128, maxResponseBytes: 64 * 1024 * 1024, dropParams: [], mode: 'direct',
    });
  });

  it('fills provider defaults for a file entry', () => {
    const file = writeConfig('providers:\n  - name: groq\n    type: openai-compatible\n    baseUrl: https://api.groq.com/openai/v1\n');
    const groq = provider(loadConfig({ file, env: {} }), 'groq');
    assert.deepEqual(groq, {
      name: 'groq', type: 'openai-compatible', baseUrl: 'https://api.groq.com/openai/v1', deployments: {}, models: [],
      headers: {}, timeoutMs: 60_000, idleTimeoutMs: 120_000, connections: 128, maxResponseBytes: 64 * 1024 * 1024, dropParams: [], mode: 'direct',
    });
  });

  it('treats an empty file as no settings', () => {
    const config = loadConfig({ file: writeConfig(''), env: {} });
    assert.equal(config.server.port, 8080);
    assert.ok(provider(config, 'mock'));
  });
});

describe('loadConfig files', () => {
  it('reads YAML', () => {
    const file = writeConfig([
      'server:',
      '  port: 3000',
      '  accessLog: true',
      'logLevel: debug',
      'providers:',
      '  - name: ollama',
      '    type: openai-compatible',
      '    baseUrl: http://127.0.0.1:11434/v1',
      '    models: [llama3.2]',
      'models:',
      '  - name: fast',
      '    aliases: [quick]',
      '    provider: ollama',
      '    model: llama3.2',
      'pricing:',
      '  llama3.2: { inputPerMTok: 0.1, outputPerMTok: 0.2 }',
      'usage:',
      '  batchSize: 50',
    ].join('\n'));
    const config = loadConfig({ file, env: {} });
    assert.equal(config.server.port, 3000);
    assert.equal(config.server.metricsPort, 9090);
    assert.equal(config.server.accessLog, true);
    assert.equal(config.logLevel, 'debug');
    assert.deepEqual(provider(config, 'ollama')?.models, ['llama3.2']);
    assert.deepEqual(config.models, [{
      name: 'fast', id: 'fast', aliases: ['quick'], provider: 'ollama', model: 'llama3.2', dropParams: [], fallbacks: [],
      modelType: 'chat', capabilities: [], parameters: {}, status: 'active', tags: [], complianceTags: [], endpoints: [],
    }]);
    assert.deepEqual(config.pricing, { 'llama3.2': { inputPerMTok: 0.1, outputPerMTok: 0.2 } });
    assert.deepEqual(config.usage, { flushIntervalMs: 1000, batchSize: 50, maxBuffered: 100_000, journal: { enabled: true, whenFull: 'refuse', commitIntervalMs: 10, syncIntervalMs: 1000, segmentBytes: 16 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024 }, sinks: SINKS_OFF, retention: { rawDays: 30, rollupDays: 400, auditDays: 400, intervalMs: 3_600_000 }, rollups: { enabled: true, intervalMs: 60_000 } });
    assert.deepEqual(config.providers.map((p) => p.name), ['ollama']);
  });

  it('reads JSON by its extension', () => {
    const file = writeConfig(JSON.stringify({ server: { port: 4000, host: '127.0.0.1' }, dataDir: '/var/lib/switchboard' }), 'json');
    const config = loadConfig({ file, env: {} });
    assert.equal(config.server.port, 4000);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.dataDir, '/var/lib/switchboard');
  });

  it('reports an unreadable file with its error code', () => {
    const file = join(dir, 'missing.yaml');
    const err = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(err.issues, [{ path: '', message: 'cannot read file: ENOENT' }]);
    assert.match(err.message, /missing\.yaml/);
    assert.match(err.message, /\(root\): cannot read file: ENOENT/);
  });

  it('reports invalid YAML', () => {
    const err = configError(() => loadConfig({ file: writeConfig('server:\n  port: [1, 2\n'), env: {} }));
    assert.equal(err.issues.length, 1);
    assert.equal(err.issues[0]?.path, '');
    assert.match(err.issues[0]?.message ?? '', /^not valid YAML: /);
  });

  it('reports invalid JSON', () => {
    const err = configError(() => loadConfig({ file: writeConfig('{"server": ', 'json'), env: {} }));
    assert.match(err.issues[0]?.message ?? '', /^not valid JSON: /);
  });

  it('refuses a top-level list or scalar', () => {
    for (const text of ['- a\n- b\n', '42\n', '"just a string"\n']) {
      const err = configError(() => loadConfig({ file: writeConfig(text), env: {} }));
      assert.deepEqual(err.issues, [{ path: '', message: 'the top level must be a mapping of settings' }]);
    }
    const err = configError(() => loadConfig({ file: writeConfig('[1, 2]', 'json'), env: {} }));
    assert.deepEqual(err.issues, [{ path: '', message: 'the top level must be a mapping of settings' }]);
  });

  it('rejects unknown keys at every level', () => {
    const file = writeConfig([
      'colour: blue',
      'server:',
      '  prot: 8080',
      'providers:',
      '  - name: openai',
      '    type: openai',
      '    apikey: nope',
      'usage:',
      '  batch: 10',
    ].join('\n'));
    const err = configError(() => loadConfig({ file, env: {} }));
    assert.match(issueAt(err, ''), /Unrecognized key: "colour"/);
    assert.match(issueAt(err, 'server'), /Unrecognized key: "prot"/);
    assert.match(issueAt(err, 'providers.0'), /Unrecognized key: "apikey"/);
    assert.match(issueAt(err, 'usage'), /Unrecognized key: "batch"/);
  });

  it('reports every problem of a file, each with its path, in one error', () => {
    const file = writeConfig([
      'server:',
      '  port: 70000',
      '  bodyLimitBytes: -1',
      'logLevel: loud',
      'adminKey: short',
      'providers:',
      '  - name: Bad Name',
      '    type: openai',
      '  - name: vendor',
      '    type: nonsense',
      'models:',
      '  - name: ""',
      '    provider: vendor',
      'pricing:',
      '  gpt-4o: { inputPerMTok: -1 }',
    ].join('\n'));
    const err = configError(() => loadConfig({ file, env: {} }));
    for (const path of ['server.port', 'server.bodyLimitBytes', 'logLevel', 'adminKey', 'providers.0.name', 'providers.1.type', 'models.0.name', 'pricing.gpt-4o.inputPerMTok', 'pricing.gpt-4o.outputPerMTok']) {
      issueAt(err, path);
      assert.ok(err.message.includes(`  - ${path}: `), `message lists ${path}:\n${err.message}`);
    }
    assert.equal(issueAt(err, 'adminKey'), 'at least 16 characters');
    assert.match(err.message, /^invalid configuration \(.*\.yaml\):\n/);
  });

  it('reports every cross-field problem together (duplicate names, missing baseUrl, unknown provider)', () => {
    const file = writeConfig([
      'providers:',
      '  - { name: groq, type: openai-compatible }',
      '  - { name: azure, type: azure-openai }',
      '  - { name: groq, type: openai-compatible, baseUrl: "https://api.groq.com/openai/v1" }',
      'models:',
      '  - { name: fast, provider: nowhere }',
      '  - { name: mocked, provider: mock }',
    ].join('\n'));
    // The mock provider is not added beside real ones, so a model naming it is an unknown provider too.
    const err = configError(() => loadConfig({ file, env: {} }));
    assert.deepEqual(err.issues, [
      { path: 'providers.0.baseUrl', message: 'baseUrl is required for type openai-compatible' },
      { path: 'providers.1.baseUrl', message: 'baseUrl is required for type azure-openai' },
      { path: 'providers.2.name', message: 'duplicate provider name "groq"' },
      { path: 'models.0.provider', message: 'unknown provider "nowhere"' },
      { path: 'models.1.provider', message: 'unknown provider "mock"' },
    ]);
  });

  it('reports a providers setting that is not a list instead of ignoring it', () => {
    const file = writeConfig('providers:\n  openai: { type: openai }\n');
    const err = configError(() => loadConfig({ file, env: { OPENAI_API_KEY: 'sk-test' } }));
    assert.match(issueAt(err, 'providers'), /expected array/);
  });

  it('accepts openai and anthropic providers without a baseUrl', () => {
    const file = writeConfig('providers:\n  - { name: oa, type: openai }\n  - { name: an, type: anthropic }\n');
    const config = loadConfig({ file, env: {} });
    assert.equal(provider(config, 'oa')?.baseUrl, undefined);
    assert.equal(provider(config, 'an')?.baseUrl, undefined);
  });
});

describe('loadConfig environment overrides', () => {
  const file = (): string => writeConfig([
    'server:',
    '  port: 3000',
    '  metricsPort: 3001',
    '  bodyLimitBytes: 1000',
    'logLevel: warn',
    'dataDir: /from/file',
    'adminKey: file-admin-key-0123456789',
  ].join('\n'));

  it('keeps the file values when no variable is set', () => {
    const config = loadConfig({ file: file(), env: {} });
    assert.equal(config.server.port, 3000);
    assert.equal(config.server.metricsPort, 3001);
    assert.equal(config.server.bodyLimitBytes, 1000);
    assert.equal(config.logLevel, 'warn');
    assert.equal(config.dataDir, '/from/file');
    assert.equal(config.adminKey, 'file-admin-key-0123456789');
  });

  it('lets every variable beat the file', () => {
    const config = loadConfig({
      file: file(),
      env: {
        HTTP_PORT: '8081', METRICS_PORT: '0', LOG_LEVEL: 'error', SWITCHBOARD_DATA_DIR: '/from/env',
        SWITCHBOARD_ADMIN_KEY: 'env-admin-key-0123456789', SWITCHBOARD_BODY_LIMIT: '2048', HOST: '127.0.0.1',
        SWITCHBOARD_SHUTDOWN_GRACE_MS: '5000',
      },
    });
    assert.equal(config.server.port, 8081);
    assert.equal(config.server.metricsPort, 0);
    assert.equal(config.server.bodyLimitBytes, 2048);
    assert.equal(config.server.host, '127.0.0.1');
    assert.equal(config.server.shutdownGraceMs, 5000);
    assert.equal(config.logLevel, 'error');
    assert.equal(config.dataDir, '/from/env');
    assert.equal(config.adminKey, 'env-admin-key-0123456789');
  });

  it('applies variables without any file', () => {
    const config = loadConfig({ env: { HTTP_PORT: ' 9000 ', LOG_LEVEL: 'silent' } });
    assert.equal(config.server.port, 9000);
    assert.equal(config.server.metricsPort, 9090);
    assert.equal(config.logLevel, 'silent');
  });

  it('ignores empty variables', () => {
    const config = loadConfig({ file: file(), env: { HTTP_PORT: '', LOG_LEVEL: '' } });
    assert.equal(config.server.port, 3000);
    assert.equal(config.logLevel, 'warn');
  });

  it('accepts a log level in any case, and still refuses an unknown one naming logLevel and the valid names', () => {
    assert.equal(loadConfig({ env: { LOG_LEVEL: 'INFO' } }).logLevel, 'info');
    assert.equal(loadConfig({ env: { LOG_LEVEL: 'Debug' } }).logLevel, 'debug');
    assert.equal(loadConfig({ raw: { logLevel: 'WARN' }, env: {} }).logLevel, 'warn');
    const err = configError(() => loadConfig({ env: { LOG_LEVEL: 'loud' } }));
    assert.match(issueAt(err, 'logLevel'), /"info".* \(from LOG_LEVEL\)$/);
  });

  it('names the variable a bad value came from', () => {
    const err = configError(() => loadConfig({ file: file(), env: { HTTP_PORT: 'eighty', METRICS_PORT: '99999', LOG_LEVEL: 'chatty', SWITCHBOARD_ADMIN_KEY: 'short' } }));
    assert.match(issueAt(err, 'server.port'), / \(from HTTP_PORT\)$/);
    assert.match(issueAt(err, 'server.metricsPort'), /<=65535 \(from METRICS_PORT\)$/);
    assert.match(issueAt(err, 'logLevel'), / \(from LOG_LEVEL\)$/);
    assert.equal(issueAt(err, 'adminKey'), 'at least 16 characters (from SWITCHBOARD_ADMIN_KEY)');
    assert.match(err.message, /server\.port: .*\(from HTTP_PORT\)/);
  });

  it('does not blame a variable for a bad value that came from the file', () => {
    const err = configError(() => loadConfig({ file: writeConfig('server:\n  port: -1\n'), env: { METRICS_PORT: '9100' } }));
    assert.doesNotMatch(issueAt(err, 'server.port'), /from /);
  });

  it('rejects a fractional port from the environment', () => {
    const err = configError(() => loadConfig({ env: { HTTP_PORT: '80.5' } }));
    assert.match(issueAt(err, 'server.port'), /\(from HTTP_PORT\)$/);
  });
});

describe('loadConfig providers from the environment', () => {
  it('adds openai from OPENAI_API_KEY, with OPENAI_BASE_URL when set', () => {
    const plain = provider(loadConfig({ env: { OPENAI_API_KEY: 'sk-test' } }), 'openai');
    assert.equal(plain?.type, 'openai');
    assert.equal(plain?.apiKeyEnv, 'OPENAI_API_KEY');
    assert.equal(plain?.apiKey, undefined, 'the secret itself never enters the config');
    assert.equal(plain?.baseUrl, undefined);
    const proxied = provider(loadConfig({ env: { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: 'https://proxy.example.com/v1' } }), 'openai');
    assert.equal(proxied?.baseUrl, 'https://proxy.example.com/v1');
  });

  it('adds anthropic from ANTHROPIC_API_KEY, with ANTHROPIC_BASE_URL when set', () => {
    const plain = provider(loadConfig({ env: { ANTHROPIC_API_KEY: 'sk-ant-test' } }), 'anthropic');
    assert.equal(plain?.type, 'anthropic');
    assert.equal(plain?.apiKeyEnv, 'ANTHROPIC_API_KEY');
    assert.equal(plain?.baseUrl, undefined);
    const proxied = provider(loadConfig({ env: { ANTHROPIC_API_KEY: 'sk-ant-test', ANTHROPIC_BASE_URL: 'https://claude.example.com' } }), 'anthropic');
    assert.equal(proxied?.baseUrl, 'https://claude.example.com');
  });

  it('adds azure only when both AZURE_OPENAI_API_KEY and AZURE_OPENAI_ENDPOINT are set', () => {
    assert.equal(provider(loadConfig({ env: { AZURE_OPENAI_API_KEY: 'az' } }), 'azure'), undefined);
    assert.equal(provider(loadConfig({ env: { AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com' } }), 'azure'), undefined);
    const azure = provider(loadConfig({ env: { AZURE_OPENAI_API_KEY: 'az', AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com' } }), 'azure');
    assert.equal(azure?.type, 'azure-openai');
    assert.equal(azure?.apiKeyEnv, 'AZURE_OPENAI_API_KEY');
    assert.equal(azure?.baseUrl, 'https://r.openai.azure.com');
    assert.equal(azure?.apiVersion, undefined);
  });

  it('passes AZURE_OPENAI_API_VERSION through', () => {
    const azure = provider(loadConfig({ env: { AZURE_OPENAI_API_KEY: 'az', AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com', AZURE_OPENAI_API_VERSION: '2025-01-01-preview' } }), 'azure');
    assert.equal(azure?.apiVersion, '2025-01-01-preview');
  });

  it('adds them all after the file providers, and no mock beside them', () => {
    const file = writeConfig('providers:\n  - { name: ollama, type: openai-compatible, baseUrl: "http://127.0.0.1:11434/v1" }\n');
    const config = loadConfig({ file, env: { OPENAI_API_KEY: 'a', ANTHROPIC_API_KEY: 'b', AZURE_OPENAI_API_KEY: 'c', AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com' } });
    assert.deepEqual(config.providers.map((p) => p.name), ['ollama', 'openai', 'anthropic', 'azure']);
  });

  it('leaves a provider the file names alone', () => {
    const file = writeConfig([
      'providers:',
      '  - { name: openai, type: openai-compatible, baseUrl: "https://gateway.example.com/v1", apiKeyEnv: MY_KEY }',
      '  - { name: anthropic, type: anthropic, apiKeyEnv: OTHER_KEY }',
      '  - { name: azure, type: azure-openai, baseUrl: "https://mine.openai.azure.com", apiVersion: "2024-06-01" }',
    ].join('\n'));
    const config = loadConfig({ file, env: { OPENAI_API_KEY: 'a', OPENAI_BASE_URL: 'https://ignored.example.com/v1', ANTHROPIC_API_KEY: 'b', AZURE_OPENAI_API_KEY: 'c', AZURE_OPENAI_ENDPOINT: 'https://ignored.openai.azure.com' } });
    assert.deepEqual(config.providers.map((p) => p.name), ['openai', 'anthropic', 'azure']);
    assert.equal(provider(config, 'openai')?.baseUrl, 'https://gateway.example.com/v1');
    assert.equal(provider(config, 'openai')?.apiKeyEnv, 'MY_KEY');
    assert.equal(provider(config, 'anthropic')?.apiKeyEnv, 'OTHER_KEY');
    assert.equal(provider(config, 'azure')?.baseUrl, 'https://mine.openai.azure.com');
  });

  it('adds no mock beside a real provider from the environment, unless the file lists it', () => {
    assert.deepEqual(loadConfig({ env: { OPENAI_API_KEY: 'a' } }).providers.map((p) => p.name), ['openai']);
    const file = writeConfig('providers:\n  - { name: mock, type: mock }\n');
    assert.deepEqual(loadConfig({ file, env: { OPENAI_API_KEY: 'a' } }).providers.map((p) => p.name), ['mock', 'openai']);
  });

  it('keeps a mock provider the file defines instead of adding the built-in one', () => {
    const file = writeConfig('providers:\n  - { name: mock, type: mock, models: [only-this] }\n');
    const config = loadConfig({ file, env: {} });
    assert.equal(config.providers.length, 1);
    assert.deepEqual(provider(config, 'mock')?.models, ['only-this']);
  });

  it('reports a bad OPENAI_BASE_URL at the provider it created', () => {
    const err = configError(() => loadConfig({ env: { OPENAI_API_KEY: 'a', OPENAI_BASE_URL: 'not a url' } }));
    issueAt(err, 'providers.0.baseUrl');
  });
});

describe('loadConfig raw tree', () => {
  it('validates a tree given directly, with the environment applied, without changing it', () => {
    const raw = { server: { port: 3000 }, providers: [{ name: 'ollama', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:11434/v1' }] };
    const before = structuredClone(raw);
    const config = loadConfig({ raw, env: { HTTP_PORT: '3001' } });
    assert.equal(config.server.port, 3001);
    assert.deepEqual(config.providers.map((p) => p.name), ['ollama']);
    assert.deepEqual(raw, before);
  });
});

describe('loadConfig result', () => {
  it('is deep-frozen', () => {
    const file = writeConfig('providers:\n  - { name: groq, type: openai-compatible, baseUrl: "https://api.groq.com/openai/v1", models: [a] }\n');
    const config = loadConfig({ file, env: {} }) as unknown as Record<string, any>;
    assert.ok(Object.isFrozen(config));
    assert.throws(() => { config.logLevel = 'debug'; }, TypeError);
    assert.throws(() => { config.server.port = 1; }, TypeError);
    assert.throws(() => { config.providers.push({}); }, TypeError);
    assert.throws(() => { config.providers[0].models.push('b'); }, TypeError);
    assert.throws(() => { config.routing.prefixes['x-'] = 'groq'; }, TypeError);
    assert.throws(() => { delete config.usage.batchSize; }, TypeError);
    assert.equal(config.server.port, 8080);
  });
});

describe('validateConfigFile', () => {
  it('validates the file alone: no environment, no auto-configured providers but the default mock', () => {
    const file = writeConfig('server:\n  port: 3000\n');
    const config = validateConfigFile(file);
    assert.equal(config.server.port, 3000);
    assert.deepEqual(config.providers.map((p) => p.name), ['mock']);
  });

  it('accepts a model on the default mock, and refuses one on mock beside a real provider', () => {
    assert.equal(validateConfigFile(writeConfig('models:\n  - { name: fast, provider: mock }\n')).models.length, 1);
    const file = writeConfig('providers:\n  - { name: openai, type: openai }\nmodels:\n  - { name: fast, provider: mock }\n');
    issueAt(configError(() => validateConfigFile(file)), 'models.0.provider');
  });

  it('reports problems with the file name as source', () => {
    const file = writeConfig('server:\n  port: nope\n');
    const err = configError(() => validateConfigFile(file));
    assert.ok(err.message.startsWith(`invalid configuration (${file}):`));
    issueAt(err, 'server.port');
  });
});

describe('loadConfig: model names', () => {
  it('rejects a model name or alias used twice', () => {
    assert.throws(() => loadConfig({ env: {}, raw: { models: [{ name: 'fast', provider: 'mock' }, { name: 'quick', aliases: ['fast'], provider: 'mock' }] } }),
      (err: unknown) => err instanceof ConfigError && err.issues.some((i) => i.path === 'models.1.name' && /"fast" is used twice/.test(i.message)));
  });
});
