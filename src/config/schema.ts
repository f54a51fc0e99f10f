/**
 * The configuration schema. Every setting is validated here once, at start-up; the result is deep-frozen
 * (see load-config.ts) and handed to the rest of the program as plain data.
 */
import { isIP } from 'node:net';
import { z } from 'zod';
import { checkReferences } from './check-references.ts';
import { providerResilienceFields, redisSchema, resilienceSchema } from './resilience-schemas.ts';
import { registryModelFields, slugOf, withIds } from './routing-schemas.ts';
import { secretRefSchema } from './secret-ref.ts';
import { sectionSchemas } from './section-schemas.ts';
import { jwtSchema } from './jwt-schema.ts';

const port = z.number().int().min(0).max(65535);
const providerName = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits, ".", "_" or "-"');
/** dropParams: top-level request parameter names; without model or messages there is no request left to send. */
const dropParamNames = z.array(z.string().min(1).refine((name) => name !== 'model' && name !== 'messages', 'model and messages cannot be dropped')).default([]);

export const pricingSchema = z.object({
  /** USD per million uncached input tokens. */
  inputPerMTok: z.number().min(0),
  /** USD per million output tokens. */
  outputPerMTok: z.number().min(0),
  /** USD per million input tokens read from the prompt cache; defaults to inputPerMTok. */
  cachedInputPerMTok: z.number().min(0).optional(),
  /** USD per million input tokens written to the prompt cache; defaults to inputPerMTok. */
  cacheWritePerMTok: z.number().min(0).optional(),
}).strict();

export const PROVIDER_TYPES = ['openai', 'anthropic', 'azure-openai', 'openai-compatible', 'mock'] as const;
export type ProviderType = typeof PROVIDER_TYPES[number];

export const providerSchema = z.object({
  name: providerName,
  type: z.enum(PROVIDER_TYPES),
  /** Base URL: ".../v1" for OpenAI-style APIs, the host root for Anthropic, the resource endpoint for Azure. */
  baseUrl: z.url().optional(),
  /** The credential, by reference: env:NAME or file:/path (never the key itself). */
  apiKey: secretRefSchema.optional(),
  /** Name of the environment variable that holds the credential. */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
  /** Azure: the api-version query parameter. */
  apiVersion: z.string().min(1).optional(),
  /** Azure: model name → deployment name; a model without an entry uses its own name as deployment. */
  deployments: z.record(z.string(), z.string().min(1)).default({}),
  /** Models this provider serves, listed by GET /v1/models and resolvable by bare name. */
  models: z.array(z.string().min(1)).default([]),
  /** Extra headers sent on every upstream request (e.g. OpenRouter's HTTP-Referer); credentials by reference. */
  headers: z.record(z.string(), z.string()).default({}),
  /** Milliseconds to wait for the upstream's response headers. */
  timeoutMs: z.number().int().positive().default(60_000),
  /** Milliseconds allowed between two chunks of an upstream body. */
  idleTimeoutMs: z.number().int().positive().default(120_000),
  /** Keep-alive connections kept per provider. */
  connections: z.number().int().positive().default(128),
  /**
   * Largest non-streamed answer read into memory from this provider. Embeddings are the big ones: 2048 inputs of
   * 3072 dimensions are ~70 MB as JSON floats (half that in base64), so lowering this much refuses real answers.
   */
  maxResponseBytes: z.number().int().positive().default(64 * 1024 * 1024),
  /** Request parameters (top-level names as callers send them) to drop instead of refusing; see docs/configuration.md. */
  dropParams: dropParamNames,
  ...providerResilienceFields,
}).strict();

export const modelSchema = z.object({
  /** The name callers send in "model" (seed 002: the display name; callers may send it or the id). */
  name: z.string().min(1).max(200),
  /** Other names for the same model. */
  aliases: z.array(z.string().min(1)).default([]),
  /** A providers entry's name; a model with endpoints may name a provider type instead (openai, anthropic …). */
  provider: providerName,
  /** Upstream model id; defaults to version, then name. */
  model: z.string().min(1).optional(),
  pricing: pricingSchema.optional(),
  /** More parameters to drop for this model, added to its provider's dropParams. */
  dropParams: dropParamNames,
  /** Whether the upstream model reasons (thinking / reasoning_effort); unset: judged from its id. */
  reasoning: z.boolean().optional(),
  /** Largest prompt plus answer the model takes, in tokens: a "context length exceeded" falls back only to a larger one. */
  contextWindow: z.number().int().positive().optional(),
  /** Models tried in this order when this one fails with a retryable error (names, aliases or "provider/model"). */
  fallbacks: z.array(z.string().min(1).max(400)).default([]),
  ...registryModelFields,
}).strict();

export const configSchema = z.object({
  server: z.object({
    host: z.string().min(1).default('0.0.0.0'),
    port: port.default(8080),
    /** Separate listener for Prometheus; 0 turns it off (/metrics on the main port stays). */
    metricsPort: port.default(9090),
    /** Address the metrics listener binds to (e.g. a pod-internal one); defaults to host. */
    metricsHost: z.string().min(1).optional(),
    bodyLimitBytes: z.number().int().positive().default(10 * 1024 * 1024),
    /** How long in-flight requests and streams may run on after SIGTERM. */
    shutdownGraceMs: z.number().int().min(0).default(30_000),
    /** Deadline for one whole request, streams included. */
    requestTimeoutMs: z.number().int().positive().default(600_000),
    /** Log one line per request at info level. */
    accessLog: z.boolean().default(false),
    /** All upstream answers being read into memory at once, across providers; past it they fail with SB_GATEWAY_OVERLOADED. */
    maxBufferedResponseBytes: z.number().int().positive().default(256 * 1024 * 1024),
    /** Largest single event (or line still waiting for its newline) of an upstream stream. */
    maxStreamEventBytes: z.number().int().positive().default(8 * 1024 * 1024),
    /**
     * Addresses (IPs or CIDRs, or loopback / linklocal / uniquelocal) of the proxies in front: X-Forwarded-For is
     * believed only from them, so a client cannot choose the address the anonymous rate limit counts.
     */
    trustedProxies: z.array(z.string().refine(isProxyAddress, 'an IP address, a CIDR range (10.0.0.0/8) or loopback, linklocal, uniquelocal')).default([]),
  }).strict().prefault({}),
  /** Any case (LOG_LEVEL=INFO is common); a wrong value is still refused with the valid names listed. */
  logLevel: z.preprocess((v) => (typeof v === 'string' ? v.toLowerCase() : v), z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])).default('info'),
  /** Where the embedded SQLite database lives. */
  dataDir: z.string().min(1).default('./data'),
  /** A fixed admin key (for automation); when set no bootstrap key is created. */
  adminKey: z.string().min(16, 'at least 16 characters').optional(),
  providers: z.array(providerSchema).default([]),
  models: z.array(modelSchema).default([]).transform(withIds((m) => slugOf(m.name))),
  routing: z.object({
    /** Bare model names starting with a prefix go to that provider when it is configured. */
    prefixes: z.record(z.string().min(1), providerName).default({
      'gpt-': 'openai', 'o1': 'openai', 'o3': 'openai', 'o4': 'openai', 'chatgpt-': 'openai',
      'text-embedding-': 'openai', 'claude-': 'anthropic', 'mock': 'mock',
    }),
    /** max_tokens sent to Anthropic when an OpenAI-dialect caller sets none (Anthropic requires it). */
    defaultMaxTokens: z.number().int().positive().default(4096),
  }).strict().prefault({}),
  /** USD prices per upstream model id (exact, else longest listed prefix); merged over the built-in table. */
  pricing: z.record(z.string().min(1), pricingSchema).default({}),
  /** Retries, fallbacks, breakers and outlier ejection (docs/configuration.md#resilience). */
  resilience: resilienceSchema,
  ...sectionSchemas,
  redis: redisSchema,
  /** How callers other than API keys authenticate (process settings: they apply at the next start). */
  auth: z.object({
    /** Bearer JWTs from an identity provider (seed 001); off unless a secret or jwksUrl is set. */
    jwt: jwtSchema.prefault({}),
  }).strict().prefault({}),
  /** The shared store for several replicas; unset: the embedded SQLite file under dataDir. */
  database: z.object({
    /** postgres://… (DATABASE_URL). */
    url: z.string().regex(/^postgres(ql)?:\/\//, 'a postgres:// URL').optional(),
    /** PostgreSQL schema for Switchboard's tables; default "public". */
    schema: z.string().regex(/^[a-z_][a-z0-9_]*$/).optional(),
    /** Bounded waits: a store that does not answer in time is treated as down. */
    connectTimeoutMs: z.number().int().positive().default(2000),
    statementTimeoutMs: z.number().int().positive().default(5000),
    poolSize: z.number().int().positive().default(10),
  }).strict().prefault({}),
  /** etcd as a further configuration source (SWITCHBOARD_ETCD_ENDPOINTS). */
  etcd: z.object({
    endpoints: z.array(z.url()).default([]),
    prefix: z.string().min(1).default('/switchboard/config/'),
    connectTimeoutMs: z.number().int().positive().default(3000),
  }).strict().prefault({}),
  /** How this process follows configuration changes made elsewhere. */
  configSync: z.object({
    /** Apply edits of the configuration file while running. */
    watchFile: z.boolean().default(true),
    /** How often the store's newest version is checked, as a backstop for a lost change notification. */
    pollIntervalMs: z.number().int().min(100).default(1000),
  }).strict().prefault({}),
  /** Responses API conversations the gateway keeps (docs/configuration.md#responses-api). */
  responses: z.object({
    /** Responses created with store (the default) are kept this long, for previous_response_id and GET /v1/responses/{id}. */
    retentionDays: z.number().int().min(1).default(30),
    /** The most earlier turns previous_response_id brings back into a request. */
    maxTurns: z.number().int().min(1).max(10_000).default(100),
  }).strict().prefault({}),
  usage: z.object({
    /** Every sink is handed what it lacks at least this often, and at once whenever a whole batch is waiting. */
    flushIntervalMs: z.number().int().positive().default(1000),
    /** Records per delivery: larger batches cost less per record (one transaction, one round trip). */
    batchSize: z.number().int().positive().max(10_000).default(500),
    /** Records kept in memory while the store is failing; beyond it the oldest are dropped and counted (with the journal: read back from it). */
    maxBuffered: z.number().int().positive().default(100_000),
    /** How long usage records and their roll-ups are kept (docs/configuration.md#usage-analytics). */
    retention: z.object({
      rawDays: z.number().int().min(1).default(30),
      rollupDays: z.number().int().min(1).default(400),
      /** Audit events older than this many days are deleted (with the usage records' retention run). */
      auditDays: z.number().int().min(1).default(400),
      intervalMs: z.number().int().min(60_000).default(3_600_000),
    }).strict().prefault({}),
    /** PostgreSQL's hourly and daily roll-ups, which analytics over long ranges read (docs/configuration.md#usage-analytics). */
    rollups: z.object({
      enabled: z.boolean().default(true),
      // At least 10 s: a run counts on every INSERT that took a seq before the previous run having committed.
      intervalMs: z.number().int().min(10_000).default(60_000),
    }).strict().prefault({}),
    /** The local journal every record is appended to before the store has it (docs/configuration.md#usage-journal). */
    journal: z.object({
      /** Off: records wait in memory only, and a crash or a long store outage loses them. */
      enabled: z.boolean().default(true),
      /** At maxBytes: "refuse" new requests (503 SB_USAGE_JOURNAL_FULL) until the sinks catch up, or "drop" records and count them. */
      whenFull: z.enum(['refuse', 'drop']).default('refuse'),
      commitIntervalMs: z.number().int().min(1).max(1000).default(10),
      syncIntervalMs: z.number().int().min(10).default(1000),
      segmentBytes: z.number().int().min(64 * 1024).default(16 * 1024 * 1024),
      maxBytes: z.number().int().min(1024 * 1024).default(1024 * 1024 * 1024),
    }).strict().prefault({}),
    /** Message streams every record is also published to, each off until enabled (docs/configuration.md#usage-sinks). */
    sinks: z.object({
      /** NATS JetStream: one subject per type and workspace, Nats-Msg-Id for JetStream's dedup. */
      nats: z.object({
        enabled: z.boolean().default(false),
        /** nats://host:port URLs (NATS_URL, comma-separated). */
        servers: z.array(z.string().regex(/^((nats|tls):\/\/)?[^\s,/]+$/, 'nats://host:port')).min(1).default(['nats://127.0.0.1:4222']),
        /** The stream the records are stored in, created with file storage when missing (an existing one is left as it is). */
        stream: z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"').default('SWITCHBOARD_RECORDS'),
        /** Subjects are <subjectPrefix>.<usage|audit>.<workspace>. */
        subjectPrefix: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/, 'dot-separated tokens of letters, digits, "_" or "-"').default('switchboard'),
        /** A created stream's duplicate window: a record delivered again within it is stored once. */
        duplicateWindowMs: z.number().int().min(1000).default(120_000),
        /** A batch not acknowledged within this long counts as failed (and is sent again). */
        deliverTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      }).strict().prefault({}),
      /** Kafka: one topic per type, keyed by workspace, idempotent producer with acks from all in-sync replicas. */
      kafka: z.object({
        enabled: z.boolean().default(false),
        /** host:port of the bootstrap brokers (KAFKA_BROKERS, comma-separated); needed once enabled. */
        brokers: z.array(z.string().regex(/^[^\s,/]+:\d{1,5}$/, 'host:port')).default([]),
        clientId: z.string().min(1).default('switchboard'),
        usageTopic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name').default('switchboard.usage'),
        auditTopic: z.string().regex(/^[A-Za-z0-9._-]{1,249}$/, 'a Kafka topic name').default('switchboard.audit'),
        /** A batch not acknowledged within this long counts as failed (and is sent again). */
        deliverTimeoutMs: z.number().int().min(100).max(600_000).default(10_000),
      }).strict().refine((kafka) => !kafka.enabled || kafka.brokers.length > 0, { path: ['brokers'], message: 'at least one broker (or KAFKA_BROKERS) when enabled' }).prefault({}),
    }).strict().prefault({}),
  }).strict().prefault({}),
}).strict().superRefine((config, ctx) => {
  const names = new Set<string>();
  config.providers.forEach((p, i) => {
    if (names.has(p.name)) ctx.addIssue({ code: 'custom', path: ['providers', i, 'name'], message: `duplicate provider name "${p.name}"` });
    names.add(p.name);
    if (p.type !== 'mock' && p.type !== 'openai' && p.type !== 'anthropic' && p.baseUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'baseUrl'], message: `baseUrl is required for type ${p.type}` });
    }
    // An answer the shared budget can never hold would fail as a (retryable) overload every time.
    if (p.mode === 'proxy' && p.proxy === undefined) ctx.addIssue({ code: 'custom', path: ['providers', i, 'proxy'], message: 'mode "proxy" needs proxy.baseUrl' });
    if (p.mode === 'embedded' && p.embedded === undefined) ctx.addIssue({ code: 'custom', path: ['providers', i, 'embedded'], message: 'mode "embedded" needs embedded.command or embedded.image' });
    if (p.mode !== 'direct' && p.type === 'mock') ctx.addIssue({ code: 'custom', path: ['providers', i, 'mode'], message: 'the mock provider answers in process: its mode is direct' });
    if (p.maxResponseBytes > config.server.maxBufferedResponseBytes) {
      ctx.addIssue({ code: 'custom', path: ['providers', i, 'maxResponseBytes'], message: `larger than server.maxBufferedResponseBytes (${config.server.maxBufferedResponseBytes})` });
    }
  });
  const modelNames = new Set<string>();
  config.models.forEach((m, i) => {
    for (const name of new Set([m.name, ...m.aliases, m.id])) {
      if (modelNames.has(name)) ctx.addIssue({ code: 'custom', path: ['models', i, 'name'], message: `model name, id or alias "${name}" is used twice` });
      modelNames.add(name);
    }
    const typeOnly = m.endpoints.length > 0 && PROVIDER_TYPES.includes(m.provider as ProviderType);
    if (!names.has(m.provider) && !typeOnly) {
      ctx.addIssue({ code: 'custom', path: ['models', i, 'provider'], message: `unknown provider "${m.provider}"${m.endpoints.length > 0 ? ` (a model with endpoints may also name a provider type: ${PROVIDER_TYPES.join(', ')})` : ''}` });
    }
    if (m.model !== undefined && m.version !== undefined && m.model !== m.version) {
      ctx.addIssue({ code: 'custom', path: ['models', i, 'version'], message: 'version and model both name the upstream model id and differ; set one' });
    }
    const endpointIds = new Set<string>();
    m.endpoints.forEach((e, j) => {
      const id = e.id ?? `e${j + 1}`;
      if (endpointIds.has(id)) ctx.addIssue({ code: 'custom', path: ['models', i, 'endpoints', j, 'id'], message: `duplicate endpoint id "${id}"` });
      endpointIds.add(id);
      if (m.provider === 'mock' && e.mode !== 'direct') ctx.addIssue({ code: 'custom', path: ['models', i, 'endpoints', j, 'mode'], message: 'the mock provider answers in process: its mode is direct' });
    });
  });
  for (const issue of checkReferences(config)) ctx.addIssue({ code: 'custom', ...issue });
});

export type Config = z.infer<typeof configSchema>;
export type ProviderConfig = z.infer<typeof providerSchema>;
export type ModelConfig = Config['models'][number];
export type Pricing = z.infer<typeof pricingSchema>;

const PROXY_KEYWORDS = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** What Fastify's trustProxy takes: an address, a CIDR range or one of proxy-addr's keywords. */
function isProxyAddress(value: string): boolean {
  if (PROXY_KEYWORDS.has(value)) return true;
  const [address = '', bits, ...rest] = value.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}
