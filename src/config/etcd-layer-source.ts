/**
 * etcd as an optional configuration layer (DESIGN.md §5): every key under a prefix is one part of a tree, read
 * once, then followed by a watch. The last tree read is kept on local disk, so a replica that starts while etcd
 * is down still serves the configuration it last saw; outages are ridden out with a bounded backoff and end with
 * a full read, never with a guess of what was missed. Why the client is set up as it is: docs/adr/0005-etcd-client.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { isDeepStrictEqual } from 'node:util';
import type { Etcd3, IKeyValue, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.ts';

export interface EtcdLayerOptions {
  /** Client URLs (SWITCHBOARD_ETCD_ENDPOINTS, comma separated), e.g. http://127.0.0.1:2379. */
  readonly endpoints: readonly string[];
  /** Key prefix (SWITCHBOARD_ETCD_PREFIX), default '/switchboard/config/'; a missing final '/' is added. */
  readonly prefix: string;
  /** The last-known-good copy on local disk (JSON, mode 0600: values may hold credentials). */
  readonly cacheFile: string;
  /** Bounded wait at start, and the deadline of every read; default 3000. */
  readonly connectTimeoutMs?: number;
  readonly logger: Logger;
}

export interface LayerUpdate {
  /** The configuration layer built from the keys: plain JSON data, a fresh copy each time. */
  readonly tree: Record<string, unknown>;
  readonly origin: 'live' | 'last-known-good' | 'empty';
  /** The etcd revision it was read at ('' when not live). */
  readonly revision: string;
}

export interface LayerStatus {
  readonly state: 'ok' | 'degraded';
  readonly detail: string;
}

type Tree = Record<string, unknown>;
type Parsed = { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly reason: string };

/** A burst of puts (an import, a script) becomes one update; a steady stream still lands within §5's 1 s. */
const DEBOUNCE_MS = 50;
const MAX_DEBOUNCE_MS = 250;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 2000;
const WATCH_RETRY_MAX_MS = 500;
const CACHE_FORMAT = 1;

export class EtcdLayerSource {
  readonly #prefix: string;
  readonly #cacheFile: string;
  readonly #timeoutMs: number;
  readonly #logger: Logger;
  readonly #endpoints: readonly string[];
  /** Made on first use: loading etcd3 and its gRPC stack takes ~150 ms, which a process without etcd never pays. */
  #client: Etcd3 | undefined;
  readonly #abort = new AbortController();
  /** Parsed values of the keys that parsed, by the key's path below the prefix. */
  #values = new Map<string, unknown>();
  #revision = '';
  #served: LayerUpdate | undefined;
  /** While start() waits: the first live read, and how to hand it over. */
  #pendingLive: LayerUpdate | undefined;
  #resolveFirstLive: ((update: LayerUpdate) => void) | undefined;
  #onChange: ((update: LayerUpdate) => void) | undefined;
  #watcher: Watcher | undefined;
  #watching = false;
  /** Watches lost in a row before etcd confirmed them. */
  #watchFailures = 0;
  #syncing = false;
  #closed = false;
  #problem = 'connecting to etcd';
  #warned = false;
  /** When the tree served was last known to match etcd (or the disk copy's save time). */
  #currentSince = Date.now();
  #flushTimer: NodeJS.Timeout | undefined;
  #burstStart: number | undefined;
  #cacheWrite: Promise<void> = Promise.resolve();

  constructor(options: EtcdLayerOptions) {
    const issues = validateOptions(options);
    if (issues.length > 0) throw new ConfigError('etcd layer options', issues);
    this.#prefix = options.prefix.endsWith('/') ? options.prefix : `${options.prefix}/`;
    this.#cacheFile = options.cacheFile;
    this.#timeoutMs = options.connectTimeoutMs ?? 3000;
    this.#logger = options.logger;
    this.#endpoints = [...options.endpoints];
  }

  /**
   * Reads the layer. Resolves within connectTimeoutMs: live content, else the disk copy, else an empty layer;
   * then watches and calls onChange for every later change (debounced, so a burst of puts is one update).
   */
  async start(onChange: (update: LayerUpdate) => void): Promise<LayerUpdate> {
    if (this.#onChange !== undefined || this.#closed) throw new Error('EtcdLayerSource.start() may be called once, before close()');
    this.#onChange = onChange;
    const cached = this.#readCache();
    const firstLive = new Promise<LayerUpdate>((resolve) => { this.#resolveFirstLive = resolve; });
    void this.#resync();
    const wait = new AbortController();
    const live = await Promise.race([firstLive, delay(this.#timeoutMs, wait.signal)]);
    wait.abort();
    const fallback = live === undefined ? await cached : undefined;
    // A live read may have landed while the disk copy was read; it wins.
    const update = this.#pendingLive ?? fallback?.update ?? { tree: {}, origin: 'empty', revision: '' };
    if (update.origin === 'last-known-good' && fallback !== undefined) this.#currentSince = fallback.savedAt;
    this.#served = update;
    this.#pendingLive = undefined;
    this.#resolveFirstLive = undefined;
    if (update.origin !== 'live') this.#logger.warn({ origin: update.origin, reason: this.#problem }, 'etcd configuration not reachable at start; serving the fallback layer');
    return update;
  }

  /** For /health/detailed: ok while connected and watching, degraded (with why and the age of the copy) otherwise. */
  status(): LayerStatus {
    if (this.#closed) return { state: 'degraded', detail: 'closed' };
    if (this.#watching) return { state: 'ok', detail: `watching ${this.#prefix} at revision ${this.#revision}` };
    return { state: 'degraded', detail: `${this.#problem}; serving ${this.#describeServed()}` };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#watching = false;
    this.#abort.abort();
    clearTimeout(this.#flushTimer);
    const watcher = this.#watcher;
    this.#watcher = undefined;
    // Detached first, or the client's watch manager would keep reconnecting it after the client is closed.
    if (watcher !== undefined) {
      const wait = new AbortController();
      await Promise.race([watcher.cancel().catch(() => undefined), delay(500, wait.signal)]);
      wait.abort();
    }
    // The client's own timers end soon after: at most 1 s for a channel caught mid-connect (etcd3 waits that long
    // before closing it, a grpc-node workaround), about 100 ms (watchBackoff) for the watch stream.
    this.#client?.close();
    await this.#cacheWrite;
  }

  /** Full read, then a watch from the revision read; retried with bounded backoff until it works or close(). */
  async #resync(firstDelayMs = 0): Promise<void> {
    if (this.#syncing) return;
    this.#syncing = true;
    try {
      if (firstDelayMs > 0) await delay(firstDelayMs, this.#abort.signal);
      for (let attempt = 0; !this.#closed; attempt++) {
        try {
          await this.#readAndWatch();
          return;
        } catch (err) {
          if (this.#closed) return;
          this.#degrade(`etcd unreachable: ${describeError(err)}`);
          await delay(backoffMs(attempt), this.#abort.signal);
        }
      }
    } finally {
      this.#syncing = false;
    }
  }

  async #readAndWatch(): Promise<void> {
    const client = this.#client ?? await this.#createClient();
    const response = await client.getAll().prefix(this.#prefix).exec();
    if (this.#closed) return;
    this.#values = new Map();
    for (const kv of response.kvs) this.#applyPut(kv);
    this.#revision = response.header.revision;
    this.#logger.info({ revision: this.#revision, keys: response.kvs.length }, 'etcd configuration read');
    this.#publish();
    this.#watch(client, this.#revision);
  }

  async #createClient(): Promise<Etcd3> {
    const [{ Etcd3, isRecoverableError }, { ConstantBackoff, handleWhen, noop, retry }] = await Promise.all([import('etcd3'), import('cockatiel')]);
    if (this.#closed) throw new Error('closed');
    const timeoutMs = this.#timeoutMs;
    const retries = this.#endpoints.length - 1;
    this.#client = new Etcd3({
      hosts: [...this.#endpoints],
      // This class owns retrying (bounded backoff, then a full read). The client's default circuit breaker would
      // refuse calls for 5 s after an outage and delay the resync; one retry per further endpoint keeps failover.
      faultHandling: {
        host: () => noop,
        global: retries > 0 ? retry(handleWhen(isRecoverableError), { maxAttempts: retries }) : noop,
        watchBackoff: new ConstantBackoff(RETRY_MIN_MS).next(),
      },
      // A blackholed endpoint must fail a read in bounded time, not hang it; watch streams stay open.
      defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeoutMs }),
      grpcOptions: {
        'grpc.initial_reconnect_backoff_ms': RETRY_MIN_MS,
        'grpc.max_reconnect_backoff_ms': RETRY_MAX_MS,
        // Detects a silent peer under an open watch; etcd refuses pings more often than every 5 s.
        'grpc.keepalive_time_ms': 10_000,
        'grpc.keepalive_timeout_ms': 5_000,
      },
    });
    return this.#client;
  }

  #watch(client: Etcd3, revision: string): void {
    const watcher = client.watch().prefix(this.#prefix).startRevision((BigInt(revision) + 1n).toString()).watcher();
    this.#watcher = watcher;
    this.#problem = 'starting the etcd watch';
    // Handlers run inside the client's stream callbacks, where a throw would crash the process: each one guards.
    watcher.on('connected', () => this.#guard(watcher, () => this.#setWatching()));
    watcher.on('put', (kv: IKeyValue) => this.#guard(watcher, () => this.#onEvent(kv, true)));
    watcher.on('delete', (kv: IKeyValue) => this.#guard(watcher, () => this.#onEvent(kv, false)));
    watcher.on('disconnected', (err: unknown) => this.#guard(watcher, () => this.#onWatchLost(watcher, err, true)));
    // 'error' means etcd cancelled the watch (e.g. compacted past it); the client has already dropped it.
    watcher.on('error', (err: unknown) => this.#guard(watcher, () => this.#onWatchLost(watcher, err, false)));
  }

  #guard(watcher: Watcher, fn: () => void): void {
    if (watcher !== this.#watcher || this.#closed) return;
    try {
      fn();
    } catch (err) {
      this.#logger.error({ err }, 'etcd configuration watch handler failed');
    }
  }

  #onEvent(kv: IKeyValue, isPut: boolean): void {
    if (isPut) this.#applyPut(kv);
    else this.#values.delete(kv.key.toString('utf8').slice(this.#prefix.length));
    this.#revision = kv.mod_revision;
    this.#scheduleFlush();
  }

  #onWatchLost(watcher: Watcher, err: unknown, disconnected: boolean): void {
    this.#watcher = undefined;
    // Removed from the client's watch manager, which would otherwise resume it on its own, from a revision
    // that can skip events; the resync below reads everything instead.
    if (disconnected) watcher.cancel().catch(() => undefined);
    this.#flushNow();
    this.#currentSince = Date.now();
    const wasWatching = this.#watching;
    this.#degrade(`etcd watch lost: ${describeError(err)}`);
    // A watch that fails before etcd confirmed it backs off, so a read that works and a watch that does not
    // cannot spin; briefly, since the usual cause is a dead endpoint among several, picked at random per stream.
    if (!wasWatching) this.#watchFailures++;
    void this.#resync(wasWatching ? 0 : backoffMs(this.#watchFailures - 1, WATCH_RETRY_MAX_MS));
  }

  #applyPut(kv: IKeyValue): void {
    const key = kv.key.toString('utf8');
    const path = key.slice(this.#prefix.length);
    if (!key.startsWith(this.#prefix) || !isUsablePath(path)) {
      this.#logger.warn({ key }, 'etcd configuration key has an empty or reserved path segment; skipped');
      return;
    }
    const parsed = parseValue(kv.value.toString('utf8'));
    if (parsed.ok) {
      this.#values.set(path, parsed.value);
    } else {
      // Never the value itself: it may hold credentials.
      this.#values.delete(path);
      this.#logger.warn({ key, reason: parsed.reason }, 'etcd configuration value is neither JSON nor YAML; key skipped');
    }
  }

  #scheduleFlush(): void {
    const now = Date.now();
    this.#burstStart ??= now;
    clearTimeout(this.#flushTimer);
    const wait = Math.max(0, Math.min(DEBOUNCE_MS, this.#burstStart + MAX_DEBOUNCE_MS - now));
    this.#flushTimer = setTimeout(() => this.#flushNow(), wait);
  }

  #flushNow(): void {
    if (this.#burstStart === undefined) return;
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#burstStart = undefined;
    this.#publish();
  }

  /** Builds the tree from the current values, saves it to disk, and tells the listener when it changed. */
  #publish(): void {
    const update: LayerUpdate = { tree: buildTree(this.#values, this.#prefix, this.#logger), origin: 'live', revision: this.#revision };
    this.#currentSince = Date.now();
    this.#saveCache(update);
    if (this.#served === undefined) {
      this.#pendingLive = update;
      this.#resolveFirstLive?.(update);
      return;
    }
    const previous = this.#served;
    this.#served = update;
    if (!isDeepStrictEqual(previous.tree, update.tree)) this.#emit(update);
  }

  #emit(update: LayerUpdate): void {
    const onChange = this.#onChange;
    if (onChange === undefined || this.#closed) return;
    const fail = (err: unknown): void => this.#logger.error({ err }, 'etcd configuration change handler failed');
    try {
      const result: unknown = onChange(update);
      if (result instanceof Promise) result.catch(fail);
    } catch (err) {
      fail(err);
    }
  }

  #setWatching(): void {
    if (!this.#watching && this.#warned) this.#logger.info({ revision: this.#revision }, 'etcd configuration source recovered');
    this.#watching = true;
    this.#watchFailures = 0;
    this.#warned = false;
    this.#problem = '';
  }

  #degrade(reason: string): void {
    if (!this.#warned) this.#logger.warn({ reason }, 'etcd configuration source degraded; serving the last tree');
    else this.#logger.debug({ reason }, 'etcd configuration source still degraded');
    this.#warned = true;
    this.#watching = false;
    this.#problem = reason;
  }

  #describeServed(): string {
    const age = `${Math.round((Date.now() - this.#currentSince) / 1000)} s`;
    switch (this.#served?.origin) {
      case undefined: return 'nothing yet (starting)';
      case 'empty': return 'an empty layer (no last-known-good copy)';
      case 'last-known-good': return `the last-known-good copy from ${this.#cacheFile}, saved ${age} ago`;
      case 'live': return `the tree last read from etcd at revision ${this.#served.revision}, current ${age} ago`;
    }
  }

  async #readCache(): Promise<{ readonly update: LayerUpdate; readonly savedAt: number } | undefined> {
    let text: string;
    try {
      text = await readFile(this.#cacheFile, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') this.#logger.warn({ file: this.#cacheFile, code }, 'cannot read the etcd last-known-good copy');
      return undefined;
    }
    try {
      const data = JSON.parse(text) as { format?: unknown; prefix?: unknown; savedAt?: unknown; tree?: unknown };
      if (data.format !== CACHE_FORMAT || !isTree(data.tree)) throw new Error('unexpected shape');
      if (data.prefix !== this.#prefix) {
        // A copy of another prefix (the setting changed) is not this layer's last-known-good state.
        this.#logger.warn({ file: this.#cacheFile }, 'the etcd last-known-good copy is of another prefix; ignored');
        return undefined;
      }
      const savedAt = typeof data.savedAt === 'string' ? Date.parse(data.savedAt) : Number.NaN;
      return { update: { tree: data.tree, origin: 'last-known-good', revision: '' }, savedAt: Number.isNaN(savedAt) ? Date.now() : savedAt };
    } catch {
      this.#logger.warn({ file: this.#cacheFile }, 'the etcd last-known-good copy is not valid; ignored');
      return undefined;
    }
  }

  /** Writes are chained so an older tree can never be renamed over a newer one. */
  #saveCache(update: LayerUpdate): void {
    const text = JSON.stringify({ format: CACHE_FORMAT, prefix: this.#prefix, savedAt: new Date().toISOString(), revision: update.revision, tree: update.tree });
    this.#cacheWrite = this.#cacheWrite
      .then(() => writeFileAtomically(this.#cacheFile, text))
      .catch((err: unknown) => {
        this.#logger.warn({ file: this.#cacheFile, code: (err as NodeJS.ErrnoException).code }, 'cannot write the etcd last-known-good copy');
      });
  }
}

function validateOptions(options: EtcdLayerOptions): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  if (options.endpoints.length === 0) issues.push({ path: 'endpoints', message: 'at least one etcd client URL is needed' });
  options.endpoints.forEach((endpoint, i) => {
    if (!/^https?:\/\/[^/]+\/?$/.test(endpoint)) issues.push({ path: `endpoints.${i}`, message: 'must be an http:// or https:// URL with host and port, no path' });
  });
  if (options.prefix.length === 0) issues.push({ path: 'prefix', message: 'must not be empty' });
  if (options.cacheFile.length === 0) issues.push({ path: 'cacheFile', message: 'must not be empty' });
  const timeout = options.connectTimeoutMs;
  if (timeout !== undefined && !(Number.isInteger(timeout) && timeout > 0)) issues.push({ path: 'connectTimeoutMs', message: 'must be a positive integer' });
  return issues;
}

/** The value as JSON, else as YAML; YAML results go through JSON so the tree holds plain JSON data only. */
function parseValue(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    // Not JSON: YAML is the other accepted form.
  }
  try {
    // logLevel 'error': YAML warnings would otherwise print to the console, past the logger.
    const value: unknown = parseYaml(text, { logLevel: 'error' });
    return { ok: true, value: JSON.parse(JSON.stringify(value ?? null)) };
  } catch (err) {
    // The parser's message quotes the source, so only its code is kept.
    const code = (err as { code?: unknown }).code;
    return { ok: false, reason: typeof code === 'string' ? code : 'unparseable' };
  }
}

function isUsablePath(path: string): boolean {
  return path.split('/').every((segment) => segment !== '' && segment !== '__proto__');
}

/**
 * Each key's path below the prefix is where its value goes. A key with deeper keys under it (`a` beside `a/b`)
 * is dropped with a warning, whatever the order, so the deeper keys always win.
 */
function buildTree(values: ReadonlyMap<string, unknown>, prefix: string, logger: Logger): Tree {
  const inner = new Set<string>();
  for (const path of values.keys()) {
    for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) inner.add(path.slice(0, i));
  }
  const tree: Tree = {};
  for (const path of [...values.keys()].sort()) {
    if (inner.has(path)) {
      logger.warn({ key: prefix + path }, 'etcd configuration key has keys below it, which win; key skipped');
      continue;
    }
    const segments = path.split('/');
    const leaf = segments.pop() ?? path;
    let node = tree;
    for (const segment of segments) {
      if (!Object.hasOwn(node, segment)) node[segment] = {};
      node = node[segment] as Tree;
    }
    // A copy, so a listener that changes or freezes its tree cannot touch the values kept here.
    node[leaf] = structuredClone(values.get(path));
  }
  return tree;
}

function isTree(value: unknown): value is Tree {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

async function writeFileAtomically(file: string, text: string): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const handle = await open(temp, 'wx', 0o600);
    try {
      await handle.chmod(0o600); // the mode given to open() is narrowed by the umask, never widened: make it exact
      await handle.writeFile(text);
      await handle.sync(); // renamed only once the bytes are on disk, so a crash leaves the old copy or the new one
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Resolves after ms, or at once when the signal aborts; never rejects. */
async function delay(ms: number, signal: AbortSignal): Promise<undefined> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    // Aborted: close() or a race that was already won.
  }
  return undefined;
}

function backoffMs(attempt: number, maxMs = RETRY_MAX_MS): number {
  const base = Math.min(maxMs, RETRY_MIN_MS * 2 ** Math.min(attempt, 10));
  return Math.round(base * (0.8 + Math.random() * 0.4));
}

function describeError(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return (message.split('\n')[0] ?? '').slice(0, 200);
}
