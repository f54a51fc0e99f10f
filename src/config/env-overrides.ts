/**
 * Environment variables that override the configuration file, and the providers that configure
 * themselves from their SDKs' conventional variables.
 */
type Env = Readonly<Record<string, string | undefined>>;
type Tree = Record<string, unknown>;

/** env var → config path, and whether the value is a number. */
const OVERRIDES: ReadonlyArray<readonly [string, readonly string[], 'number' | 'string' | 'list']> = [
  ['HTTP_PORT', ['server', 'port'], 'number'],
  ['METRICS_PORT', ['server', 'metricsPort'], 'number'],
  ['METRICS_HOST', ['server', 'metricsHost'], 'string'],
  ['HOST', ['server', 'host'], 'string'],
  ['SWITCHBOARD_BODY_LIMIT', ['server', 'bodyLimitBytes'], 'number'],
  ['SWITCHBOARD_SHUTDOWN_GRACE_MS', ['server', 'shutdownGraceMs'], 'number'],
  ['TRUSTED_PROXIES', ['server', 'trustedProxies'], 'list'],
  ['LOG_LEVEL', ['logLevel'], 'string'],
  ['SWITCHBOARD_DATA_DIR', ['dataDir'], 'string'],
  ['SWITCHBOARD_ADMIN_KEY', ['adminKey'], 'string'],
  ['DATABASE_URL', ['database', 'url'], 'string'],
  ['SWITCHBOARD_DATABASE_SCHEMA', ['database', 'schema'], 'string'],
  ['SWITCHBOARD_ETCD_ENDPOINTS', ['etcd', 'endpoints'], 'list'],
  ['SWITCHBOARD_ETCD_PREFIX', ['etcd', 'prefix'], 'string'],
  ['REDIS_URL', ['redis', 'url'], 'string'],
  ['SWITCHBOARD_REDIS_PREFIX', ['redis', 'keyPrefix'], 'string'],
  ['JWT_SECRET_KEY', ['auth', 'jwt', 'secret'], 'string'],
  ['JWT_JWKS_URL', ['auth', 'jwt', 'jwksUrl'], 'string'],
  ['JWT_ISSUER', ['auth', 'jwt', 'issuer'], 'string'],
  ['JWT_AUDIENCE', ['auth', 'jwt', 'audience'], 'string'],
  // Where the message sinks are, not whether they are on: usage.sinks.*.enabled stays explicit.
  ['NATS_URL', ['usage', 'sinks', 'nats', 'servers'], 'list'],
  ['KAFKA_BROKERS', ['usage', 'sinks', 'kafka', 'brokers'], 'list'],
];

function parseValue(value: string, kind: 'number' | 'string' | 'list'): unknown {
  if (kind === 'list') return value.split(',').map((v) => v.trim()).filter((v) => v !== '');
  return kind === 'number' && /^-?\d+(\.\d+)?$/.test(value.trim()) ? Number(value) : value;
}

/** Applies the overrides to a raw (unvalidated) config tree; returns env var names by dotted path. */
export function applyEnvOverrides(raw: Tree, env: Env): Map<string, string> {
  const applied = new Map<string, string>();
  for (const [name, path, kind] of OVERRIDES) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    setPath(raw, path, parseValue(value, kind));
    applied.set(path.join('.'), name);
  }
  return applied;
}

function setPath(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = next !== null && typeof next === 'object' && !Array.isArray(next) ? next as Tree : (node[key] = {}) as Tree;
  }
  node[path[path.length - 1] as string] = value;
}

/** Providers added from OPENAI_*, ANTHROPIC_* and AZURE_OPENAI_* when the file does not name them already. */
export function providersFromEnv(env: Env, configured: ReadonlySet<string>): Tree[] {
  const out: Tree[] = [];
  if (env.OPENAI_API_KEY && !configured.has('openai')) {
    out.push({ name: 'openai', type: 'openai', apiKeyEnv: 'OPENAI_API_KEY', ...(env.OPENAI_BASE_URL ? { baseUrl: env.OPENAI_BASE_URL } : {}) });
  }
  if (env.ANTHROPIC_API_KEY && !configured.has('anthropic')) {
    out.push({ name: 'anthropic', type: 'anthropic', apiKeyEnv: 'ANTHROPIC_API_KEY', ...(env.ANTHROPIC_BASE_URL ? { baseUrl: env.ANTHROPIC_BASE_URL } : {}) });
  }
  if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT && !configured.has('azure')) {
    out.push({
      name: 'azure', type: 'azure-openai', apiKeyEnv: 'AZURE_OPENAI_API_KEY', baseUrl: env.AZURE_OPENAI_ENDPOINT,
      ...(env.AZURE_OPENAI_API_VERSION ? { apiVersion: env.AZURE_OPENAI_API_VERSION } : {}),
    });
  }
  return out;
}

/** The built-in mock provider as it is added by default. */
export const DEFAULT_MOCK_PROVIDER: Readonly<Tree> = Object.freeze({ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] });

/**
 * The mock provider serves any `mock*` model at cost 0 to every key, so it is on by default only while no
 * real provider is configured (a first start, an offline trial); a deployment that wants it beside real
 * providers lists it (`providers: [{ name: mock, type: mock }]`).
 */
export function withDefaultMock(providers: readonly unknown[]): unknown[] {
  return providers.length === 0 ? [{ ...DEFAULT_MOCK_PROVIDER, models: ['mock', 'mock-large'] }] : [...providers];
}
