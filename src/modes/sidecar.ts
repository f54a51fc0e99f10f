/**
 * The embedded mode's supervisor (seed 003's "Plano Embedded", for any command or image): it starts one sidecar
 * on 127.0.0.1, waits for its health path, checks it while it runs, restarts it with exponential backoff when it
 * exits or stops answering, and gives up (`failed`) after more than `maxRestarts` restarts. Every state change is
 * one log line and one onChange call, so routing and /health/detailed follow it without polling.
 *
 * Nothing here throws into the caller or leaves an orphan: the sidecar leads its own process group, which is
 * ended whole; a pid file outlives a gateway that could not stop it, for reapStaleSidecars at the next start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { EmbeddedModeConfig } from '../config/resilience-schemas.ts';
import { freePort } from './free-port.ts';
import { removePidFile, writePidFile, type PidRecord } from './pid-file.ts';
import { probeHealth } from './probe-health.ts';
import { launchContainer } from './sidecar-container.ts';
import { LaunchError, type SidecarExit, type SidecarInstance } from './sidecar-instance.ts';
import { launchProcess } from './sidecar-process.ts';

export { reapStaleSidecars } from './reap-stale-sidecars.ts';

export type SidecarState = 'starting' | 'ready' | 'restarting' | 'failed' | 'stopped';

/** Plain data for /health/detailed and logs; times are ISO 8601. A type, not an interface, so it is a plain record. */
export type SidecarStatus = {
  readonly provider: string;
  readonly state: SidecarState;
  /** Leader of the running sidecar's process group; null for a container or when none runs. */
  readonly pid: number | null;
  readonly container: string | null;
  /** The port of the current (or last) run on 127.0.0.1. */
  readonly port: number | null;
  /** Restarts since the start or since it last stayed ready for stableAfterMs. */
  readonly restarts: number;
  readonly startedAt: string | null;
  /** When the current run became ready; null while it is not. */
  readonly readyAt: string | null;
  readonly lastExit: { readonly code: number | null; readonly signal: string | null; readonly at: string } | null;
  readonly lastError: string | null;
  readonly lastCheck: { readonly at: string; readonly ok: boolean; readonly error: string | null } | null;
};

export type SidecarListener = (status: SidecarStatus) => void;

export interface SidecarOptions {
  readonly provider: string;
  /** The provider's embedded settings, env values already resolved (no env:/file: references left). */
  readonly spec: EmbeddedModeConfig;
  /** Where the pid file goes (<dataDir>/sidecars). */
  readonly runDir: string;
  readonly logger: Logger;
}

/** A starting sidecar is polled this often, each poll waiting at most START_PROBE_TIMEOUT_MS. */
const START_POLL_MS = 100;
const START_PROBE_TIMEOUT_MS = 1000;

export class Sidecar {
  readonly #provider: string;
  readonly #spec: EmbeddedModeConfig;
  readonly #runDir: string;
  readonly #logger: Logger;
  readonly #listeners = new Set<SidecarListener>();
  #state: SidecarState = 'stopped';
  /** Bumped by every restart and stop: a callback of an older run sees another number and does nothing. */
  #run = 0;
  #instance: SidecarInstance | undefined;
  #record: PidRecord | undefined;
  #launching: Promise<void> = Promise.resolve();
  #stopping: Promise<void> | undefined;
  /** The one pending step of the current run: the next health check or the restart after its backoff. */
  #timer: NodeJS.Timeout | undefined;
  #stableTimer: NodeJS.Timeout | undefined;
  #port: number | null = null;
  #healthUrl = '';
  /** Built once per run: send() reads it on every request. */
  #baseUrl: string | undefined;
  #restarts = 0;
  #failedChecks = 0;
  #startedAt: string | null = null;
  #readyAt: string | null = null;
  #lastExit: SidecarStatus['lastExit'] = null;
  #lastError: string | null = null;
  #lastCheck: SidecarStatus['lastCheck'] = null;

  constructor(options: SidecarOptions) {
    this.#provider = options.provider;
    this.#spec = options.spec;
    this.#runDir = options.runDir;
    this.#logger = options.logger;
  }

  get state(): SidecarState {
    return this.#state;
  }

  /** `http://127.0.0.1:<port>` while ready, else undefined. */
  get baseUrl(): string | undefined {
    return this.#baseUrl;
  }

  /** Starts supervising in the background and never throws. Does nothing unless stopped (and done stopping). */
  start(): void {
    if (this.#state !== 'stopped' || this.#stopping !== undefined) return;
    this.#restarts = 0;
    this.#lastError = null;
    this.#setState('starting');
    this.#launch(++this.#run);
  }

  /** Ends supervision; resolves once the process group is gone or the container removed. Idempotent. */
  stop(): Promise<void> {
    this.#stopping ??= this.#shutdown().finally(() => {
      this.#stopping = undefined;
    });
    return this.#stopping;
  }

  onChange(listener: SidecarListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): SidecarStatus {
    return {
      provider: this.#provider, state: this.#state, pid: this.#instance?.pid ?? null,
      container: this.#instance?.container ?? null, port: this.#port, restarts: this.#restarts,
      startedAt: this.#startedAt, readyAt: this.#readyAt, lastExit: this.#lastExit, lastError: this.#lastError,
      lastCheck: this.#lastCheck,
    };
  }

  async #shutdown(): Promise<void> {
    ++this.#run;
    this.#clearTimers();
    if (this.#state !== 'stopped') this.#setState('stopped');
    try {
      await this.#launching; // a run being launched now is ended too, once it exists
      await this.#retire();
    } catch (err) {
      this.#logger.error({ err, sidecar: this.#provider }, 'sidecar could not be stopped cleanly');
    }
  }

  #launch(run: number): void {
    this.#launching = this.#spawn(run).catch((err: unknown) => this.#launchFailed(run, err));
  }

  async #spawn(run: number): Promise<void> {
    const deadline = performance.now() + this.#spec.startTimeoutMs;
    const port = this.#spec.port !== 0 ? this.#spec.port : await freePort();
    if (run !== this.#run) return;
    this.#readyAt = null;
    const instance = await this.#launchOn(port);
    this.#instance = instance; // even when stopped meanwhile: stop() waits for this and ends it
    this.#port = port;
    const record: PidRecord = {
      provider: this.#provider, pid: instance.pid ?? null, container: instance.container ?? null,
      argv: instance.argv, startedAt: new Date().toISOString(),
    };
    this.#record = record;
    this.#startedAt = record.startedAt;
    void instance.exited.then((exit) => this.#exited(run, exit));
    await writePidFile(this.#runDir, record).catch((err: unknown) => {
      this.#logger.warn({ err, sidecar: this.#provider }, 'sidecar pid file could not be written: a crash of the gateway would leave this sidecar running');
    });
    if (run === this.#run) void this.#awaitReady(run, port, deadline);
  }

  #launchOn(port: number): Promise<SidecarInstance> {
    const { command, image } = this.#spec;
    if (command !== undefined) {
      const argv = command.map((arg) => arg.replaceAll('{port}', String(port)));
      const env = { ...process.env, ...this.#spec.env, PORT: String(port) };
      return launchProcess({ provider: this.#provider, argv, env, logger: this.#logger });
    }
    if (image !== undefined) {
      return launchContainer({
        provider: this.#provider, image, port, containerPort: this.#spec.containerPort,
        env: { ...this.#spec.env, PORT: String(this.#spec.containerPort) }, timeoutMs: this.#spec.startTimeoutMs,
        logger: this.#logger,
      });
    }
    return Promise.reject(new LaunchError('set exactly one of embedded.command and embedded.image', true));
  }

  #launchFailed(run: number, err: unknown): void {
    if (run !== this.#run) return;
    const message = err instanceof Error ? err.message : String(err);
    if (!(err instanceof LaunchError && err.permanent)) return this.#restart(run, message);
    ++this.#run;
    this.#clearTimers();
    this.#lastError = message;
    this.#setState('failed');
  }

  /**
   * Polls the health path every START_POLL_MS until it answers 2xx or the start deadline passes. Each poll gets
   * its full short timeout even near the deadline (overshooting it by at most that), so the error it reports is
   * the sidecar's, not a poll cut to a millisecond.
   */
  async #awaitReady(run: number, port: number, deadline: number): Promise<void> {
    this.#healthUrl = `http://127.0.0.1:${port}${this.#spec.healthPath}`;
    const timeout = Math.min(this.#spec.healthTimeoutMs, START_PROBE_TIMEOUT_MS);
    for (;;) {
      const error = await probeHealth(this.#healthUrl, timeout);
      if (run !== this.#run) return;
      this.#checked(error);
      if (error === undefined) return this.#ready(run, port);
      if (performance.now() >= deadline) {
        return this.#restart(run, `did not answer ${this.#spec.healthPath} within embedded.startTimeoutMs (${this.#spec.startTimeoutMs} ms); last check: ${error}`);
      }
      await sleep(START_POLL_MS, undefined, { ref: false });
      if (run !== this.#run) return;
    }
  }

  #ready(run: number, port: number): void {
    this.#failedChecks = 0;
    this.#readyAt = new Date().toISOString();
    this.#baseUrl = `http://127.0.0.1:${port}`;
    this.#setState('ready');
    this.#scheduleCheck(run);
    this.#stableTimer = setTimeout(() => this.#stable(run), this.#spec.stableAfterMs).unref();
  }

  #stable(run: number): void {
    if (run !== this.#run || this.#restarts === 0) return;
    this.#logger.info({ sidecar: this.#provider, restarts: this.#restarts }, `sidecar "${this.#provider}" stayed ready for embedded.stableAfterMs: restart count reset`);
    this.#restarts = 0;
  }

  #scheduleCheck(run: number): void {
    this.#timer = setTimeout(() => void this.#check(run), this.#spec.healthIntervalMs).unref();
  }

  async #check(run: number): Promise<void> {
    const error = await probeHealth(this.#healthUrl, this.#spec.healthTimeoutMs);
    if (run !== this.#run) return;
    this.#checked(error);
    this.#failedChecks = error === undefined ? 0 : this.#failedChecks + 1;
    if (this.#failedChecks >= this.#spec.unhealthyThreshold) {
      return this.#restart(run, `failed ${this.#failedChecks} health checks in a row (embedded.unhealthyThreshold); last: ${error ?? ''}`);
    }
    this.#scheduleCheck(run);
  }

  #checked(error: string | undefined): void {
    this.#lastCheck = { at: new Date().toISOString(), ok: error === undefined, error: error ?? null };
  }

  #exited(run: number, exit: SidecarExit): void {
    this.#lastExit = { code: exit.code, signal: exit.signal, at: new Date().toISOString() };
    if (run !== this.#run) return; // we ended it ourselves
    const how = exit.signal !== null ? `on signal ${exit.signal}` : `with code ${exit.code ?? 'unknown'}`;
    this.#restart(run, `exited ${how}${this.#state === 'ready' ? '' : ' before answering its health path'}`);
  }

  /** Ends the current run and, unless it has restarted more than maxRestarts times, starts the next after a backoff. */
  #restart(run: number, reason: string): void {
    if (run !== this.#run) return;
    const next = ++this.#run;
    this.#clearTimers();
    const retired = this.#retire();
    if (this.#restarts >= this.#spec.maxRestarts) {
      this.#lastError = `${reason}; gave up after ${this.#restarts} restart(s) (embedded.maxRestarts is ${this.#spec.maxRestarts})`;
      this.#setState('failed');
      return;
    }
    this.#lastError = reason;
    this.#setState('restarting');
    const backoff = Math.min(this.#spec.maxRestartBackoffMs, this.#spec.restartBackoffMs * 2 ** this.#restarts);
    void retired.then(() => {
      if (next !== this.#run) return;
      this.#timer = setTimeout(() => {
        if (next !== this.#run) return;
        this.#restarts++;
        this.#launch(next);
      }, backoff).unref();
    });
  }

  /** Ends the current instance (its whole process group, or its container) and removes its pid file. Never rejects. */
  async #retire(): Promise<void> {
    const instance = this.#instance;
    const record = this.#record;
    if (instance === undefined) return;
    await instance.stop();
    if (this.#instance === instance) {
      this.#instance = undefined;
      this.#record = undefined;
    }
    if (record !== undefined) {
      await removePidFile(this.#runDir, record).catch((err: unknown) => this.#logger.warn({ err, sidecar: this.#provider }, 'sidecar pid file could not be removed'));
    }
  }

  #clearTimers(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#stableTimer);
    this.#timer = undefined;
    this.#stableTimer = undefined;
  }

  #setState(next: SidecarState): void {
    const from = this.#state;
    this.#state = next;
    if (next !== 'ready') this.#baseUrl = undefined;
    const status = this.status();
    const level = next === 'failed' ? 'error' : next === 'restarting' ? 'warn' : 'info';
    this.#logger[level]({ sidecar: status, from }, `sidecar "${this.#provider}" is ${next}`);
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (err) {
        this.#logger.error({ err, sidecar: this.#provider }, 'a sidecar state listener threw');
      }
    }
  }
}
