import { statSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigVersionConflict, type ConfigStore, type ConfigVersionRecord, type StorageChange } from '../storage/ports.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { buildConfig, processPart, type ConfigLayers } from './build-config.ts';
import { diffConfig, type ConfigChange } from './config-diff.ts';
import { ConfigError } from './config-error.ts';
import { sharedPart } from './config-sections.ts';
import type { ConfigSnapshot, ConfigView } from './config-view.ts';
import { loadLastKnownGood, saveLastKnownGood } from './last-known-good.ts';
import { readConfigFile, type ConfigSources } from './load-config.ts';
import { isTree, type Tree } from './merge-patch.ts';
import type { Config } from './schema.ts';

/** A source of one layer that changes by itself (etcd); see etcd-layer-source.ts. */
export interface LayerSource {
  start(onChange: (update: { readonly tree: Record<string, unknown> }) => void): Promise<{ readonly tree: Record<string, unknown> }>;
  status(): { readonly state: 'ok' | 'degraded'; readonly detail: string };
  close(): Promise<void>;
}

export interface VersionedConfigOptions {
  readonly sources: ConfigSources;
  readonly store: ConfigStore;
  /** Storage.subscribe: the store's change notifications. */
  readonly subscribe: (listener: (change: StorageChange) => void) => () => void;
  /** The last-known-good copy on local disk. */
  readonly cacheFile: string;
  readonly logger: Logger;
  readonly etcd?: LayerSource | undefined;
  /** Longest wait for one store call before the store counts as down. Default 3000. */
  readonly storeTimeoutMs?: number;
  /**
   * false for tools (the CLI): serve the store's newest version as it is, without bringing this process's file
   * or etcd into it and without following changes. Default true.
   */
  readonly follow?: boolean;
}

/** Who makes a change and what kind it is, for the version history. */
export interface ChangeMeta {
  readonly author: string;
  readonly summary: string;
}

export interface ApplyResult {
  /** The version now newest (the new one when applied). */
  readonly version: number;
  readonly applied: boolean;
  readonly changes: readonly ConfigChange[];
}

export type LayerEdit = (layers: ConfigLayers) => ConfigLayers;

const ATTEMPTS = 5;
const DEFAULT_STORE_TIMEOUT_MS = 3000;

/**
 * The configuration as numbered versions in a shared store (DESIGN §5). Every change (an admin write, an edit of
 * the watched file, an etcd event, an import, a rollback) is validated whole, appended as the next version and
 * swapped in atomically; other replicas learn of it from the store's notification or, as a backstop, by polling.
 * While the store is down the process serves its last good version (kept on disk too) and catches up by itself.
 */
export class VersionedConfig implements ConfigView {
  readonly #o: VersionedConfigOptions;
  readonly #process: Tree;
  readonly #timeoutMs: number;
  readonly #listeners = new Set<(next: ConfigSnapshot, previous: ConfigSnapshot) => void>();
  #snapshot: ConfigSnapshot;
  #layers: ConfigLayers;
  /** This process's own sources as last read: brought into the store at start and after an outage. */
  #fileLayer: Tree;
  #etcdLayer: Tree | undefined;
  /** Why the store is unusable, while it is. */
  #degraded: string | undefined;
  /** A stored version this process could not use (e.g. a secret missing here); not retried until a newer one. */
  #refused = 0;
  #queue: Promise<unknown> = Promise.resolve();
  #timer: ReturnType<typeof setInterval> | undefined;
  #unsubscribe: (() => void) | undefined;
  /** The watched file's mtime and size when last read ("" when unwatched or unreadable). */
  #fileStamp: string;
  #closed = false;

  private constructor(options: VersionedConfigOptions) {
    this.#o = options;
    this.#process = processPart(options.sources.file);
    this.#timeoutMs = options.storeTimeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    this.#fileLayer = sharedPart(options.sources.file);
    this.#fileStamp = stamp(options.sources.path);
    this.#layers = { file: this.#fileLayer, admin: {}, etcd: {} };
    // The file alone must be valid: a process never starts on a configuration it could not explain.
    this.#snapshot = Object.freeze({ version: 0, config: this.#build(this.#layers, options.sources.path ?? 'defaults and environment') });
  }

  /** Reads the store (or the last-known-good copy while it is down) and starts following changes. Throws ConfigError. */
  static async open(options: VersionedConfigOptions): Promise<VersionedConfig> {
    const view = new VersionedConfig(options);
    if (options.follow === false) await view.#serial(() => view.#loadHead());
    else await view.#start();
    return view;
  }

  current(): ConfigSnapshot {
    return this.#snapshot;
  }

  onChange(listener: (next: ConfigSnapshot, previous: ConfigSnapshot) => void): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  /** The layers of the current version (each a plain tree of shared sections). */
  get layers(): ConfigLayers {
    return this.#layers;
  }

  /** For /health/detailed: degraded while the store (or etcd) cannot be used. */
  status(): { readonly state: 'ok' | 'degraded'; readonly version: number; readonly detail: string } {
    const etcd = this.#o.etcd?.status();
    if (this.#degraded !== undefined) return { state: 'degraded', version: this.#snapshot.version, detail: `serving version ${this.#snapshot.version}; configuration store: ${this.#degraded}` };
    if (etcd?.state === 'degraded') return { state: 'degraded', version: this.#snapshot.version, detail: `serving version ${this.#snapshot.version}; etcd: ${etcd.detail}` };
    return { state: 'ok', version: this.#snapshot.version, detail: `version ${this.#snapshot.version}` };
  }

  /**
   * Applies one change: `edit` gets the newest stored layers and returns the new ones, which are validated whole
   * and appended as the next version. A concurrent writer elsewhere makes it start again from the newer version.
   * Throws ConfigError (nothing applied), SB_CONFIG_CONFLICT or SB_CONFIG_STORE_UNAVAILABLE.
   */
  apply(edit: LayerEdit, meta: ChangeMeta, options: { readonly dryRun?: boolean } = {}): Promise<ApplyResult> {
    return this.#serial(() => this.#apply(edit, meta, options.dryRun === true));
  }

  async versions(query: { readonly limit?: number; readonly before?: number }): Promise<Awaited<ReturnType<ConfigStore['list']>>> {
    return this.#store(() => this.#o.store.list(query));
  }

  /** One stored version; SB_CONFIG_VERSION_NOT_FOUND when there is none with this number. */
  async version(n: number): Promise<ConfigVersionRecord> {
    const record = await this.#store(() => this.#o.store.get(n));
    if (record === undefined) throw new GatewayError('SB_CONFIG_VERSION_NOT_FOUND', { message: `No configuration version ${n}. GET /api/config/versions lists them.` });
    return record;
  }

  /** Checks the store now rather than at the next poll (tests, and the CLI after a write). */
  refresh(): Promise<void> {
    return this.#serial(() => this.#refresh());
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#unsubscribe?.();
    await this.#o.etcd?.close();
    await this.#queue.catch(() => {});
  }

  async #start(): Promise<void> {
    if (this.#o.etcd !== undefined) {
      const first = await this.#o.etcd.start((update) => void this.#serial(() => this.#sourceChanged('etcd', sharedPart(update.tree))));
      this.#etcdLayer = sharedPart(first.tree);
    }
    try {
      await this.#sync();
    } catch (err) {
      if (err instanceof ConfigError) throw err;
      this.#storeDown(err);
      this.#startFromCopy();
    }
    const { pollIntervalMs, watchFile } = this.#snapshot.config.configSync;
    const path = watchFile ? this.#o.sources.path : undefined;
    // One timer does both: the store's newest version (a backstop for a lost notification) and the file's stamp
    // (a stat per tick, cheap; unlike fs.watch it also sees a file replaced by rename, as editors and ConfigMaps do).
    this.#timer = setInterval(() => {
      if (path !== undefined && stamp(path) !== this.#fileStamp) void this.#serial(() => this.#fileEdited(path));
      void this.#serial(() => this.#refresh());
    }, pollIntervalMs);
    this.#timer.unref();
    this.#unsubscribe = this.#o.subscribe((change) => {
      if (change.kind === 'config' && change.version > this.#snapshot.version) void this.#serial(() => this.#refresh());
    });
  }

  /** The newest stored version as it is (tools); the file alone, as version 0, while none exists. */
  async #loadHead(): Promise<void> {
    const head = await this.#head();
    if (head === undefined) return;
    const layers = layersOf(head);
    this.#install(head.version, layers, this.#build(layers, `version ${head.version}`));
  }

  /** Brings this process's file and etcd layers into the newest stored version, or starts the history. */
  async #sync(): Promise<void> {
    const head = await this.#head();
    const base = head === undefined ? undefined : layersOf(head);
    const next: ConfigLayers = { file: this.#fileLayer, admin: base?.admin ?? {}, etcd: this.#etcdLayer ?? base?.etcd ?? {} };
    if (head !== undefined && base !== undefined && sameJson(next, base)) {
      this.#install(head.version, base, this.#build(base, `version ${head.version}`));
      return;
    }
    const author = head === undefined || !sameJson(next.file, base?.file) ? 'file' : 'etcd';
    const summary = head === undefined ? 'first version' : `${author} changed`;
    try {
      await this.#apply(() => next, { author, summary }, false);
    } catch (err) {
      // etcd holding something invalid must not stop a process from starting (or catching up): leave its new content
      // out, as a watched change would be. An invalid file still fails the start: it is this process's own.
      if (!(err instanceof ConfigError) || sameJson(next.etcd, base?.etcd ?? {})) throw err;
      this.#o.logger.error({ issues: err.issues }, 'etcd content refused; serving without it');
      await this.#apply(() => ({ ...next, etcd: base?.etcd ?? {} }), { author, summary }, false);
    }
  }

  async #apply(edit: LayerEdit, meta: ChangeMeta, dryRun: boolean): Promise<ApplyResult> {
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const head = await this.#head();
      const base = head === undefined ? { file: this.#fileLayer, admin: {}, etcd: {} } : layersOf(head);
      const next = normalise(edit(base));
      const latest = head?.version ?? 0;
      if (head !== undefined && sameJson(next, base)) return { version: latest, applied: false, changes: [] };
      const config = this.#build(next, meta.author === 'file' ? (this.#o.sources.path ?? 'file') : meta.author);
      // The base is usually the version being served: its configuration is built already.
      const before = latest === this.#snapshot.version ? this.#snapshot.config : this.#tryBuild(base) ?? this.#snapshot.config;
      const changes = diffConfig(sharedPart(before), sharedPart(config));
      if (dryRun) return { version: latest, applied: false, changes };
      // An admin change that changes nothing effective (an export imported back) makes no version; a source's
      // new layer is stored even so, so the stored layers stay what the file and etcd really say.
      if (changes.length === 0 && head !== undefined && meta.author !== 'file' && meta.author !== 'etcd') return { version: latest, applied: false, changes };
      try {
        const record = await this.#store(() => this.#o.store.append({
          author: meta.author, summary: meta.summary, createdAt: new Date().toISOString(), content: { ...next }, diff: changes.map((c) => ({ ...c })),
        }, latest));
        this.#install(record.version, next, config);
        this.#o.logger.info({ version: record.version, author: meta.author, changes: changes.length }, `configuration version ${record.version} is live (${meta.summary})`);
        return { version: record.version, applied: true, changes };
      } catch (err) {
        if (!(err instanceof ConfigVersionConflict)) throw err;
      }
    }
    throw new GatewayError('SB_CONFIG_CONFLICT');
  }

  async #refresh(): Promise<void> {
    if (this.#closed) return;
    try {
      if (this.#degraded !== undefined) {
        await this.#sync();
        this.#o.logger.info({ version: this.#snapshot.version }, 'configuration store reachable again');
        this.#degraded = undefined;
        return;
      }
      const latest = await this.#store(() => this.#o.store.latestVersion());
      if (latest <= this.#snapshot.version || latest === this.#refused) return;
      const record = await this.#store(() => this.#o.store.get(latest));
      if (record === undefined) return;
      const layers = layersOf(record);
      let config: Config;
      try {
        config = this.#build(layers, `version ${record.version}`);
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        // Logged once: the next polls skip this version until a newer one is stored.
        this.#refused = record.version;
        this.#refuse(err);
        return;
      }
      this.#install(record.version, layers, config);
      this.#o.logger.info({ version: record.version, author: record.author }, `configuration version ${record.version} is live (${record.summary}, made elsewhere)`);
    } catch (err) {
      if (err instanceof ConfigError) this.#refuse(err);
      else this.#storeDown(err);
    }
  }

  async #fileEdited(path: string): Promise<void> {
    const now = stamp(path);
    if (now === this.#fileStamp) return;
    this.#fileStamp = now;
    let tree: Tree;
    try {
      tree = readConfigFile(path);
    } catch (err) {
      if (err instanceof ConfigError) this.#o.logger.error({ issues: err.issues }, `configuration file edit refused; version ${this.#snapshot.version} keeps serving`);
      return;
    }
    const restart = diffConfig(this.#process, processPart(tree)).map((c) => c.path);
    if (restart.length > 0) this.#o.logger.warn({ settings: restart }, 'these settings of the file apply to this process only and take effect at its next start');
    await this.#sourceChanged('file', sharedPart(tree));
  }

  async #sourceChanged(source: 'file' | 'etcd', layer: Tree): Promise<void> {
    if (source === 'file') this.#fileLayer = layer;
    else this.#etcdLayer = layer;
    if (this.#degraded !== undefined) {
      this.#o.logger.warn(`${source} changed while the configuration store is down; it is applied when the store is back`);
      return;
    }
    try {
      await this.#apply((base) => ({ ...base, [source]: layer }), { author: source, summary: `${source} changed` }, false);
    } catch (err) {
      if (err instanceof ConfigError) this.#o.logger.error({ issues: err.issues }, `${source} change refused; version ${this.#snapshot.version} keeps serving`);
      else if (err instanceof GatewayError && err.code === 'SB_CONFIG_CONFLICT') this.#o.logger.error(`${source} change not applied: ${err.message}`);
      else this.#storeDown(err);
    }
  }

  #install(version: number, layers: ConfigLayers, config: Config): void {
    const previous = this.#snapshot;
    this.#layers = layers;
    if (version === previous.version && config === previous.config) return;
    this.#snapshot = Object.freeze({ version, config });
    try {
      saveLastKnownGood(this.#o.cacheFile, { version, layers, savedAt: new Date().toISOString() });
    } catch (err) {
      this.#o.logger.warn({ err, file: this.#o.cacheFile }, 'cannot write the last-known-good configuration copy');
    }
    for (const listener of this.#listeners) {
      try {
        listener(this.#snapshot, previous);
      } catch (err) {
        this.#o.logger.error({ err, version }, 'a configuration listener failed');
      }
    }
  }

  #startFromCopy(): void {
    const copy = loadLastKnownGood(this.#o.cacheFile);
    if (copy === undefined) {
      this.#o.logger.warn(`configuration store unreachable and no last-known-good copy at ${this.#o.cacheFile}: starting on the file and environment alone`);
      return;
    }
    try {
      this.#install(copy.version, copy.layers, this.#build(copy.layers, `last-known-good copy of version ${copy.version}`));
      this.#o.logger.warn({ version: copy.version, savedAt: copy.savedAt }, 'configuration store unreachable: serving the last-known-good copy');
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      this.#o.logger.error({ issues: err.issues }, 'the last-known-good copy is not valid here: starting on the file and environment alone');
    }
  }

  #refuse(err: ConfigError): void {
    this.#o.logger.error({ issues: err.issues }, `a newer configuration version cannot be used by this process; version ${this.#snapshot.version} keeps serving`);
  }

  #storeDown(err: unknown): void {
    const why = err instanceof Error ? err.message : String(err);
    if (this.#degraded === undefined) this.#o.logger.error({ err: why, version: this.#snapshot.version }, 'configuration store unreachable; serving the current version until it is back');
    this.#degraded = why;
  }

  async #head(): Promise<ConfigVersionRecord | undefined> {
    const latest = await this.#store(() => this.#o.store.latestVersion());
    return latest === 0 ? undefined : this.#store(() => this.#o.store.get(latest));
  }

  #build(layers: ConfigLayers, source: string): Config {
    return buildConfig({ process: this.#process, layers, env: this.#o.sources.env, source });
  }

  #tryBuild(layers: ConfigLayers): Config | undefined {
    try {
      return this.#build(layers, 'previous version');
    } catch {
      return undefined;
    }
  }

  /** One store call with a bounded wait; a store that fails or does not answer is SB_CONFIG_STORE_UNAVAILABLE. */
  async #store<T>(call: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    try {
      return await Promise.race([call(), timeout]);
    } catch (err) {
      if (err instanceof ConfigVersionConflict) throw err;
      const message = err instanceof Error ? err.message : String(err);
      throw new GatewayError('SB_CONFIG_STORE_UNAVAILABLE', { message: `The configuration store cannot be used (${message}); nothing was changed.`, cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  /** Changes of this process run one at a time, so a file edit and an admin write never interleave. */
  #serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(work, work);
    this.#queue = run.catch(() => {});
    return run;
  }
}

function stamp(path: string | undefined): string {
  if (path === undefined) return '';
  try {
    const st = statSync(path);
    return `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    return '';
  }
}

function layersOf(record: ConfigVersionRecord): ConfigLayers {
  const { file, admin, etcd } = record.content;
  return { file: isTree(file) ? file : {}, admin: isTree(admin) ? admin : {}, etcd: isTree(etcd) ? etcd : {} };
}

function normalise(layers: ConfigLayers): ConfigLayers {
  return { file: sharedPart(layers.file), admin: sharedPart(layers.admin), etcd: sharedPart(layers.etcd) };
}

/** Equal as configuration: key order does not count (PostgreSQL's jsonb, for one, reorders keys). */
function sameJson(a: unknown, b: unknown): boolean {
  return diffConfig(a, b).length === 0;
}
