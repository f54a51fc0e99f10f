import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { admitAt, admitsAnyTime, applyProbe, gateAt, newCircuit, recordVerdicts, takeHalfOpenSlot, wantsEjection, type EndpointCircuit } from './endpoint-circuit.ts';
import type { AttemptVerdict, Clock, EndpointRef, EndpointStatus, HealthRegistry, HealthSettings, HealthTransition, ProbeSettings } from './health-registry.ts';
import { movingAverage, NO_LATENCY, timesService } from './latency-average.ts';
import { entryStatus, entryStatuses } from './entry-status.ts';
import { PoolMembers } from './pool-members.ts';
import { SharedCircuits, SharedWriteError } from './shared-circuits.ts';
import { TransitionFanout } from './transition-fanout.ts';
import { addVerdict, appendBatch, batchSize, emptyBatch, resetBatch, type VerdictBatch } from './verdict-batch.ts';

export interface RedisHealthRegistryOptions {
  /** redis:// or rediss:// (REDIS_URL). */
  readonly url: string;
  /** Put before every key and the change channel (redis.keyPrefix). */
  readonly keyPrefix: string;
  /** A command slower than this fails, and the registry decides locally meanwhile (redis.commandTimeoutMs). */
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly settings: HealthSettings;
  /** Default Date.now. */
  readonly clock?: Clock;
  readonly logger: Logger;
  /** How often buffered verdicts are written to Redis. Default 25. */
  readonly flushIntervalMs?: number;
  /** How often every known endpoint is read again, in case a change notice was lost. Default 1000. */
  readonly refreshIntervalMs?: number;
}

interface PendingProbe {
  readonly settings: ProbeSettings;
  readonly ok: boolean;
  readonly error: string | null;
  readonly at: number;
}

interface Entry {
  readonly ref: EndpointRef;
  /** The local copy: the shared circuit as last read, with this replica's unflushed verdicts applied on top. */
  circuit: EndpointCircuit;
  /** This replica's moving average; NaN until the first sample (see movingAverage). */
  latencyMs: number;
  /** Verdicts reported since the last flush took them; `spare` is swapped in while a flush writes them. */
  pending: VerdictBatch;
  spare: VerdictBatch;
  probes: PendingProbe[];
  /** Half-open slots the shared circuit granted this replica, usable until grantUntil. */
  grants: number;
  grantUntil: number;
  /** A half-open claim is in flight; the next one not before claimAfter (performance.now()). */
  claiming: boolean;
  claimAfter: number;
  stale: boolean;
  removed: boolean;
}

const RECONNECT_FIRST_MS = 100;
const RECONNECT_LAST_MS = 2000;
/**
 * Commands that fail in a row (timeouts, mostly) before a connected but slow Redis counts as gone: the registry
 * then decides locally, as without Redis, and a PING at each refresh brings it back.
 */
const FAILURES_BEFORE_LOCAL = 3;

function positive(value: number | undefined, fallback: number, name: string): number {
  const resolved = value ?? fallback;
  if (!Number.isFinite(resolved) || resolved <= 0) throw new TypeError(`redis health registry: ${name} must be a positive number`);
  return resolved;
}

/**
 * Health state shared by every replica through Redis (REDIS_URL).
 *
 * The hot path never waits for Redis: admit() decides from a local copy of each endpoint's circuit, and
 * report() applies the verdict to that copy at once (so this replica reacts to its own failures without a round
 * trip) and buffers it. Every flushIntervalMs the buffered verdicts of each endpoint are written with one
 * optimistic transaction that runs the same state machine (SharedCircuits.update); the result, with whatever
 * was reported meanwhile on top, becomes the local copy. A flush that changes a state publishes a notice, and
 * every replica re-reads that endpoint; all known endpoints are re-read every refreshIntervalMs in case one
 * was lost. Transitions are emitted by the replica whose write made them.
 *
 * Half-open across replicas: a local copy whose openMs passed refuses the attempt (it falls back) and starts a
 * claim that moves the shared circuit to half-open and takes one of its slots; the next admit() uses that slot.
 * So at most halfOpenRequests attempts are let through at once by all replicas together, at the price of the
 * first request after openMs. status().available follows the local copy, which does not know about that price.
 *
 * Redis slow or down: commands fail fast (no offline queue, commandTimeout), nothing reaches the hot path,
 * and the registry runs on its local copies like the memory one (transitions emitted here, claimProbe always
 * true). Down is a closed connection, or FAILURES_BEFORE_LOCAL commands failing in a row (a Redis too slow
 * to be of use). One warning when Redis goes, one info when it is back; then the shared state is read again
 * and nothing decided meanwhile is written back (it would be stale).
 */
export class RedisHealthRegistry implements HealthRegistry {
  readonly backend = 'redis' as const;
  readonly replicaId = randomUUID();
  #settings: HealthSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #redis: Redis;
  readonly #subscriber: Redis;
  readonly #store: SharedCircuits;
  readonly #entries = new Map<string, Entry>();
  readonly #pools = new PoolMembers<Entry>();
  readonly #dirty = new Set<Entry>();
  readonly #stale = new Set<Entry>();
  readonly #fanout = new TransitionFanout();
  readonly #sink: HealthTransition[] = [];
  readonly #one = emptyBatch();
  readonly #flushIntervalMs: number;
  readonly #timers: NodeJS.Timeout[];
  #chain: Promise<void> = Promise.resolve();
  #ticking = false;
  #shared = false;
  /** Whether the loss of Redis was logged (reset when it is back): one warning per outage. */
  #lost = false;
  /** Redis commands failed in a row; see FAILURES_BEFORE_LOCAL. */
  #failures = 0;
  #pinging = false;
  #closed = false;

  constructor(options: RedisHealthRegistryOptions) {
    if (typeof options.url !== 'string' || !/^rediss?:\/\//.test(options.url)) throw new TypeError('redis health registry: url must be a redis:// or rediss:// URL');
    if (typeof options.keyPrefix !== 'string') throw new TypeError('redis health registry: keyPrefix must be a string');
    this.#settings = options.settings;
    this.#clock = options.clock ?? Date.now;
    this.#log = options.logger;
    this.#flushIntervalMs = positive(options.flushIntervalMs, 25, 'flushIntervalMs');
    const commandTimeout = positive(options.commandTimeoutMs, 50, 'commandTimeoutMs');
    const connection: RedisOptions = {
      connectTimeout: positive(options.connectTimeoutMs, 1000, 'connectTimeoutMs'),
      commandTimeout,
      // How long a closed connection's socket may take to end (ioredis default 2 s, on a timer that keeps the
      // process alive even when the socket is long gone): close() must not leave it behind.
      disconnectTimeout: commandTimeout,
      // A command while Redis is away fails at once instead of queueing behind a reconnect: nothing may wait.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      // Half a transaction sent again after a reconnect would be worse than none.
      autoResendUnfulfilledCommands: false,
      retryStrategy: (times) => Math.min(RECONNECT_FIRST_MS * 2 ** (times - 1), RECONNECT_LAST_MS),
      connectionName: 'switchboard-health',
    };
    this.#redis = new Redis(options.url, connection);
    this.#subscriber = new Redis(options.url, connection);
    this.#store = new SharedCircuits({
      redis: this.#redis, keyPrefix: options.keyPrefix, replicaId: this.replicaId, clock: this.#clock,
      fresh: (ref) => newCircuit(ref, this.#settings, this.#clock()), maxEjectionPercent: () => this.#settings.ejection.maxEjectionPercent,
    });
    this.#watchConnections();
    const flush = setInterval(() => this.#tick(), this.#flushIntervalMs);
    const refresh = setInterval(() => this.#refresh(), positive(options.refreshIntervalMs, 1000, 'refreshIntervalMs'));
    this.#timers = [flush, refresh];
    for (const t of this.#timers) t.unref();
  }

  /** Whether Redis is reachable: state is shared; false: this replica decides alone from its local copies. */
  get connected(): boolean {
    return this.#shared;
  }

  get shared(): boolean {
    return this.#shared;
  }

  /** Resolves true once Redis is reachable, false after `timeoutMs` (default the connect timeout). Never rejects. */
  waitUntilConnected(timeoutMs = this.#redis.options.connectTimeout ?? 1000): Promise<boolean> {
    if (this.#shared || this.#closed) return Promise.resolve(this.#shared);
    return new Promise((resolve) => {
      const onReady = (): void => { clearTimeout(timer); resolve(this.#shared); };
      const timer = setTimeout(() => { this.#redis.off('ready', onReady); resolve(false); }, timeoutMs);
      timer.unref();
      this.#redis.once('ready', onReady);
    });
  }

  admit(endpoint: EndpointRef): boolean {
    const e = this.#entry(endpoint);
    if (admitsAnyTime(e.circuit)) return true;
    const now = this.#clock();
    if (!this.#shared) {
      const admitted = admitAt(e.circuit, this.#settings, now, this.#sink);
      this.#fanout.drain(this.#sink);
      return admitted;
    }
    const gate = gateAt(e.circuit, this.#settings, now, this.#sink);
    // Changes seen on the local copy are the shared circuit's to make: the write that makes them reports them.
    this.#sink.length = 0;
    if (gate !== 'half_open') return gate === 'admit';
    if (e.grants > 0 && now < e.grantUntil) {
      e.grants--;
      return true;
    }
    e.grants = 0;
    this.#claim(e);
    return false;
  }

  report(endpoint: EndpointRef, verdict: AttemptVerdict, latencyMs: number): void {
    const e = this.#entry(endpoint);
    if (timesService(verdict, latencyMs)) e.latencyMs = movingAverage(e.latencyMs, latencyMs, this.#settings.latencyAlpha);
    const one = this.#one;
    resetBatch(one);
    addVerdict(one, verdict);
    this.#applyLocally(e, one, this.#clock());
    if (this.#shared) {
      addVerdict(e.pending, verdict);
      this.#dirty.add(e);
      this.#sink.length = 0;
    } else {
      this.#fanout.drain(this.#sink);
    }
  }

  reportProbe(endpoint: EndpointRef, settings: ProbeSettings, ok: boolean, error: string | null): void {
    const e = this.#entry(endpoint);
    const now = this.#clock();
    applyProbe(e.circuit, settings, ok, error, now, this.#sink);
    if (this.#shared) {
      e.probes.push({ settings, ok, error, at: now });
      this.#dirty.add(e);
      this.#sink.length = 0;
    } else {
      this.#fanout.drain(this.#sink);
    }
  }

  /** Shared: one replica per interval (SET NX). Without Redis every replica probes for its own local copy. */
  async claimProbe(endpoint: EndpointRef, intervalMs: number): Promise<boolean> {
    if (this.#closed) return false;
    if (!this.#shared) return true;
    try {
      return await this.#store.claimProbe(endpoint, intervalMs);
    } catch (err) {
      this.#log.debug({ err, endpoint: endpoint.id }, 'health: probe claim failed');
      return false;
    }
  }

  status(endpoint: EndpointRef): EndpointStatus {
    return entryStatus(this.#entries.get(endpoint.id), endpoint, this.#settings, this.#clock());
  }

  list(): EndpointStatus[] {
    return entryStatuses(this.#entries.values(), this.#settings, this.#clock());
  }

  onTransition(listener: (t: HealthTransition) => void): () => void {
    return this.#fanout.add(listener);
  }

  configure(settings: HealthSettings): void {
    this.#settings = settings;
  }

  /** Forgets the endpoints here and, when Redis is reachable, their shared state (every replica has the same config). */
  retain(keep: ReadonlySet<string>): void {
    for (const [id, e] of this.#entries) {
      if (keep.has(id)) continue;
      this.#drop(e);
      if (this.#shared) this.#serial(() => this.#store.forget(e.ref)).catch((err: unknown) => this.#log.debug({ err, endpoint: id }, 'health: forgetting an endpoint in Redis failed'));
    }
  }

  /**
   * Writes buffered verdicts now and re-reads endpoints other replicas changed; resolves when done and never
   * rejects. The timer calls it every flushIntervalMs; tests and close() call it to be sure.
   */
  flush(): Promise<void> {
    return this.#serial(async () => {
      await this.#flushDirty();
      await this.#rereadStale();
    }).catch((err: unknown) => this.#failed(err, 'health: re-reading shared state failed'));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    // The last verdicts of a replica that shuts down still count for the others.
    if (this.#shared) await this.flush();
    await this.#chain;
    this.#fanout.clear();
    this.#shared = false;
    await Promise.all([quit(this.#redis), quit(this.#subscriber)]);
  }

  #entry(ref: EndpointRef): Entry {
    const known = this.#entries.get(ref.id);
    if (known !== undefined && known.ref.pool === ref.pool) return known;
    // Another pool is another key in Redis: the endpoint starts again there.
    if (known !== undefined) this.#drop(known);
    const e: Entry = {
      ref: { id: ref.id, pool: ref.pool }, circuit: newCircuit(ref, this.#settings, this.#clock()), latencyMs: NO_LATENCY,
      pending: emptyBatch(), spare: emptyBatch(), probes: [], grants: 0, grantUntil: 0, claiming: false, claimAfter: 0,
      stale: false, removed: false,
    };
    this.#entries.set(ref.id, e);
    this.#pools.add(ref.pool, e);
    // Other replicas may know it already: read its shared state at the next flush.
    this.#markStale(e);
    return e;
  }

  #drop(e: Entry): void {
    e.removed = true;
    this.#entries.delete(e.ref.id);
    this.#pools.remove(e.ref.pool, e);
    this.#dirty.delete(e);
    this.#stale.delete(e);
  }

  #applyLocally(e: Entry, batch: VerdictBatch, now: number): void {
    const c = e.circuit;
    const canEject = wantsEjection(c, batch, this.#settings, now) && this.#pools.canEject(c.pool, e, now, this.#settings.ejection.maxEjectionPercent);
    recordVerdicts(c, batch, this.#settings, now, canEject, this.#sink);
  }

  #markStale(e: Entry): void {
    if (e.stale) return;
    e.stale = true;
    this.#stale.add(e);
  }

  /** Tasks that use the command connection's WATCH state run one at a time (see SharedCircuits). */
  #serial(task: () => Promise<void>): Promise<void> {
    const run = this.#chain.then(task);
    this.#chain = run.catch(() => undefined);
    return run;
  }

  #tick(): void {
    if (this.#ticking || !this.#shared || (this.#dirty.size === 0 && this.#stale.size === 0)) return;
    this.#ticking = true;
    void this.flush().finally(() => { this.#ticking = false; });
  }

  async #flushDirty(): Promise<void> {
    const entries = [...this.#dirty];
    this.#dirty.clear();
    for (const e of entries) {
      if (!this.#shared) return;
      if (!e.removed) await this.#flushOne(e);
    }
  }

  async #flushOne(e: Entry): Promise<void> {
    const batch = e.pending;
    const probes = e.probes;
    e.pending = e.spare;
    e.spare = batch;
    if (probes.length > 0) e.probes = [];
    try {
      const result = await this.#store.update(e.ref, (c, canEject, sink) => {
        for (const p of probes) applyProbe(c, p.settings, p.ok, p.error, p.at, sink);
        if (batchSize(batch) > 0) recordVerdicts(c, batch, this.#settings, this.#clock(), canEject, sink);
        return true;
      });
      resetBatch(batch);
      this.#failures = 0;
      if (!e.removed) this.#adopt(e, result.circuit);
      this.#emit(result.transitions);
    } catch (err) {
      // Not written for sure: back in front of what came since. Maybe written (EXEC timed out): counting it
      // twice would be worse than losing it.
      if (err instanceof SharedWriteError && !err.maybeWritten && this.#shared && !e.removed) {
        appendBatch(batch, e.pending);
        e.spare = e.pending;
        e.pending = batch;
        e.probes = probes.concat(e.probes);
        this.#dirty.add(e);
      }
      resetBatch(e.spare);
      this.#failed(err, 'health: writing verdicts to Redis failed', e.ref.id);
    }
  }

  async #rereadStale(): Promise<void> {
    if (!this.#shared || this.#stale.size === 0) return;
    const entries = [...this.#stale];
    this.#stale.clear();
    for (const e of entries) e.stale = false;
    const circuits = await this.#store.read(entries.map((e) => e.ref));
    this.#failures = 0;
    const now = this.#clock();
    entries.forEach((e, i) => {
      if (!e.removed) this.#adopt(e, circuits[i] ?? newCircuit(e.ref, this.#settings, now));
    });
  }

  /** Starts (at most one per endpoint in flight) a claim of a half-open slot in the shared circuit. */
  #claim(e: Entry): void {
    if (e.claiming || this.#closed || performance.now() < e.claimAfter) return;
    e.claiming = true;
    let granted = false;
    this.#serial(async () => {
      const result = await this.#store.update(e.ref, (c, _canEject, sink) => {
        const now = this.#clock();
        // Closed already (another replica's probes succeeded) or still open: nothing to claim, the copy catches up.
        granted = gateAt(c, this.#settings, now, sink) === 'half_open' && takeHalfOpenSlot(c, this.#settings, now);
        return granted || sink.length > 0;
      });
      this.#failures = 0;
      if (e.removed) return;
      this.#adopt(e, result.circuit);
      if (granted) {
        e.grants++;
        e.grantUntil = this.#clock() + this.#settings.breaker.openMs;
      }
      this.#emit(result.transitions);
    }).catch((err: unknown) => {
      granted = false;
      this.#failed(err, 'health: half-open claim failed', e.ref.id);
    }).finally(() => {
      e.claiming = false;
      // No slot free: do not ask Redis again on every request; a granted slot may be followed by the next claim.
      e.claimAfter = granted ? 0 : performance.now() + this.#flushIntervalMs;
    });
  }

  /** The shared circuit becomes the local copy, with what this replica reported since on top. */
  #adopt(e: Entry, shared: EndpointCircuit): void {
    const now = this.#clock();
    e.circuit = shared;
    for (const p of e.probes) applyProbe(shared, p.settings, p.ok, p.error, p.at, this.#sink);
    if (batchSize(e.pending) > 0) this.#applyLocally(e, e.pending, now);
    this.#sink.length = 0;
    if (shared.breaker !== 'half_open') e.grants = 0;
  }

  #emit(transitions: readonly HealthTransition[]): void {
    if (transitions.length === 0) return;
    this.#sink.push(...transitions);
    this.#fanout.drain(this.#sink);
  }

  #watchConnections(): void {
    this.#redis.on('ready', () => this.#up());
    this.#redis.on('close', () => this.#down());
    this.#redis.on('error', (err: unknown) => this.#log.debug({ err }, 'health: Redis connection error'));
    this.#subscriber.on('error', (err: unknown) => this.#log.debug({ err }, 'health: Redis subscriber error'));
    // Subscribing again after a reconnect is harmless (and covers a connection that lost its subscription).
    this.#subscriber.on('ready', () => {
      this.#subscriber.subscribe(this.#store.channel).catch((err: unknown) => this.#log.debug({ err }, 'health: subscribing to changes failed'));
    });
    this.#subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.#store.channel) return;
      const notice = this.#store.decodeNotice(message);
      const e = notice === undefined ? undefined : this.#entries.get(notice.id);
      if (e !== undefined && e.ref.pool === notice?.pool) this.#markStale(e);
    });
  }

  /** A Redis command failed: logged at debug; FAILURES_BEFORE_LOCAL in a row and the registry decides locally. */
  #failed(err: unknown, what: string, endpoint?: string): void {
    this.#log.debug({ err, endpoint }, what);
    // Losing races to other replicas says nothing about Redis.
    if (err instanceof SharedWriteError && err.conflict) return;
    if (++this.#failures >= FAILURES_BEFORE_LOCAL && this.#shared) this.#down('health: Redis does not answer in time; deciding from local circuit state until it does');
  }

  /** Every refreshIntervalMs: re-read every endpoint (a lost notice), or see whether a slow Redis answers again. */
  #refresh(): void {
    if (this.#shared) {
      for (const e of this.#entries.values()) this.#markStale(e);
      return;
    }
    if (this.#pinging || this.#closed || this.#redis.status !== 'ready') return;
    this.#pinging = true;
    this.#redis.ping().then(() => this.#up(), () => undefined).finally(() => { this.#pinging = false; });
  }

  #up(): void {
    if (this.#closed || this.#shared) return;
    this.#forgetUnshared();
    this.#failures = 0;
    this.#shared = true;
    if (this.#lost) this.#log.info('health: Redis is reachable again; circuit state is shared again');
    this.#lost = false;
    for (const e of this.#entries.values()) this.#markStale(e);
  }

  #down(why?: string): void {
    if (this.#closed) return;
    const was = this.#shared;
    this.#shared = false;
    this.#forgetUnshared();
    if (this.#lost) return;
    this.#lost = true;
    this.#log.warn(why ?? (was ? 'health: lost Redis; deciding from local circuit state until it is back' : 'health: cannot reach Redis; deciding from local circuit state until it is reachable'));
  }

  /** Verdicts buffered for Redis are already in the local copies; once the link broke, writing them later would be stale. */
  #forgetUnshared(): void {
    for (const e of this.#dirty) {
      resetBatch(e.pending);
      e.probes = [];
    }
    this.#dirty.clear();
    for (const e of this.#entries.values()) e.grants = 0;
  }
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'ready') {
    try {
      await redis.quit();
      return;
    } catch {
      // Fall through: close the socket.
    }
  }
  redis.disconnect();
}
