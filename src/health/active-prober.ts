import { Agent, request, type Dispatcher } from 'undici';
import type { Logger } from 'pino';
import type { EndpointRef, HealthRegistry, ProbeSettings } from './health-registry.ts';

/** One endpoint's active health check. */
export interface ProbeTarget {
  readonly endpoint: EndpointRef;
  /** Answered with 2xx while the endpoint is healthy. */
  readonly url: string;
  /** Credentials already resolved from their references. */
  readonly headers: Readonly<Record<string, string>>;
  readonly settings: ProbeSettings;
}

export interface ActiveProberOptions {
  readonly registry: HealthRegistry;
  readonly logger?: Logger;
  /** Default: an undici Agent of the prober's own, closed with it (probes do not share the traffic's pools). */
  readonly dispatcher?: Dispatcher;
  /** For the first run's jitter; default Math.random. */
  readonly random?: () => number;
}

interface Runner {
  readonly target: ProbeTarget;
  /** What makes two versions' checks the same: unchanged ones keep running on their schedule. */
  readonly signature: string;
  timer: NodeJS.Timeout | undefined;
  running: boolean;
  stopped: boolean;
}

/** The first run waits a random share of this (of the interval, at most a second) so probes do not all start together. */
const FIRST_RUN_JITTER = 0.1;
const MAX_FIRST_RUN_JITTER_MS = 1000;
/** A health answer bigger than this is not read to its end: the socket is dropped instead of reused. */
const DUMP_LIMIT_BYTES = 64 * 1024;

/**
 * Runs active health checks: each interval, if the registry says this replica runs this interval's probe
 * (claimProbe), a GET with a timeout; 2xx is ok, anything else (status, timeout, refused) is a failure and
 * says why. The outcome goes to registry.reportProbe(). Timers are unref'd; nothing here throws or leaves a
 * rejection unhandled, and a probe never overlaps the previous one of the same endpoint.
 */
export class ActiveProber {
  readonly #registry: HealthRegistry;
  readonly #log: Logger | undefined;
  readonly #dispatcher: Dispatcher;
  readonly #ownDispatcher: Agent | undefined;
  readonly #random: () => number;
  readonly #runners = new Map<string, Runner>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #closing = new AbortController();
  #closed = false;

  constructor(options: ActiveProberOptions) {
    this.#registry = options.registry;
    this.#log = options.logger;
    this.#ownDispatcher = options.dispatcher === undefined ? new Agent({ connections: 4 }) : undefined;
    this.#dispatcher = options.dispatcher ?? (this.#ownDispatcher as Agent);
    this.#random = options.random ?? Math.random;
  }

  /** The checks of a new configuration version: new ones start, dropped ones stop, unchanged ones go on. */
  update(targets: readonly ProbeTarget[]): void {
    if (this.#closed) return;
    const next = new Map<string, ProbeTarget>();
    for (const t of targets) next.set(t.endpoint.id, t);
    for (const [id, runner] of this.#runners) {
      const t = next.get(id);
      if (t !== undefined && signatureOf(t) === runner.signature) next.delete(id);
      else this.#stop(id, runner);
    }
    for (const [id, t] of next) this.#start(id, t);
  }

  /** Endpoint ids being probed (for tests and the operations view). */
  get endpoints(): string[] {
    return [...this.#runners.keys()];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [id, runner] of this.#runners) this.#stop(id, runner);
    this.#closing.abort();
    await Promise.all(this.#inFlight);
    await this.#ownDispatcher?.destroy().catch(() => undefined);
  }

  #start(id: string, target: ProbeTarget): void {
    const runner: Runner = { target, signature: signatureOf(target), timer: undefined, running: false, stopped: false };
    this.#runners.set(id, runner);
    const { intervalMs } = target.settings;
    const jitter = this.#random() * Math.min(intervalMs * FIRST_RUN_JITTER, MAX_FIRST_RUN_JITTER_MS);
    runner.timer = setTimeout(() => {
      this.#tick(runner);
      if (runner.stopped) return;
      runner.timer = setInterval(() => this.#tick(runner), intervalMs);
      runner.timer.unref();
    }, jitter);
    runner.timer.unref();
  }

  #stop(id: string, runner: Runner): void {
    runner.stopped = true;
    // clearTimeout clears an interval too (one timer type in Node).
    clearTimeout(runner.timer);
    this.#runners.delete(id);
  }

  #tick(runner: Runner): void {
    if (runner.running || runner.stopped) return;
    runner.running = true;
    const run = this.#probe(runner).catch((err: unknown) => this.#log?.warn({ err, endpoint: runner.target.endpoint.id }, 'health: probe failed unexpectedly'));
    this.#inFlight.add(run);
    void run.finally(() => {
      runner.running = false;
      this.#inFlight.delete(run);
    });
  }

  async #probe(runner: Runner): Promise<void> {
    const { endpoint, settings } = runner.target;
    let claimed = false;
    try {
      claimed = await this.#registry.claimProbe(endpoint, settings.intervalMs);
    } catch {
      // The interface says never; a registry that does is treated as "not this replica's turn".
    }
    if (!claimed || runner.stopped) return;
    const { ok, error } = await this.#check(runner.target);
    // A check cut short by close() or update() says nothing about the endpoint.
    if (runner.stopped) return;
    this.#registry.reportProbe(endpoint, settings, ok, error);
    if (!ok) this.#log?.debug({ endpoint: endpoint.id, error }, 'health: probe failed');
  }

  async #check(target: ProbeTarget): Promise<{ ok: boolean; error: string | null }> {
    const { timeoutMs } = target.settings;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = AbortSignal.any([timeout, this.#closing.signal]);
    try {
      const res = await request(target.url, { method: 'GET', headers: target.headers, signal, dispatcher: this.#dispatcher });
      // Read what is small (the connection can be reused) and drop the rest; the answer's status is the verdict.
      await res.body.dump({ limit: DUMP_LIMIT_BYTES, signal }).catch(() => res.body.destroy());
      const ok = res.statusCode >= 200 && res.statusCode < 300;
      return { ok, error: ok ? null : `HTTP ${res.statusCode}` };
    } catch (err) {
      if (timeout.aborted) return { ok: false, error: `timed out after ${timeoutMs} ms` };
      return { ok: false, error: describe(err) };
    }
  }
}

function signatureOf(t: ProbeTarget): string {
  return JSON.stringify([t.endpoint.pool, t.url, t.headers, t.settings.intervalMs, t.settings.timeoutMs, t.settings.healthyThreshold, t.settings.unhealthyThreshold]);
}

/** A probe's error in a few words: the socket error code (ECONNREFUSED) where there is one. */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause : undefined;
  const code = (err as { code?: unknown }).code ?? (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
}
