import type { Logger } from 'pino';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { AuditEvent } from '../domain/audit-event.ts';
import type { AuditStore } from '../storage/ports.ts';
import type { AuditWriter } from './audit-log.ts';

export interface StoreAuditLogOptions {
  readonly store: Pick<AuditStore, 'insertMany'>;
  readonly logger: Logger;
  /** How often waiting events are written (and a failed write is tried again). */
  readonly flushIntervalMs: number;
  /** Events per insertMany; a full batch is written at once instead of at the next tick. */
  readonly batchSize: number;
  /** At most this many wait in memory; past it the oldest are dropped, counted and logged. */
  readonly maxBuffered: number;
}

function positiveWhole(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`StoreAuditLog: ${name} must be a whole number ≥ 1, got ${value}`);
  return value;
}

/**
 * The audit log over an AuditStore, the way usage records are written without the journal: record() is an array
 * push; batches go to the store off the request path, on a timer or once a batch is full. A failed write keeps
 * its events, in order, for the next tick; only past maxBuffered are the oldest dropped. Events live in memory
 * until written: a crash loses the last interval's (the journal is the durable alternative behind the same seam).
 */
export class StoreAuditLog implements AuditWriter {
  readonly #store: StoreAuditLogOptions['store'];
  readonly #logger: Logger;
  readonly #batchSize: number;
  readonly #maxBuffered: number;
  #pending: AuditEvent[] = [];
  /** Dropped since the process started, and since the last log line that said so. */
  #dropped = 0;
  #droppedUnlogged = 0;
  #failing = false;
  #writing: Promise<void> | undefined;
  readonly #timer: ReturnType<typeof setInterval>;

  constructor(options: StoreAuditLogOptions) {
    this.#store = options.store;
    this.#logger = options.logger;
    this.#batchSize = positiveWhole(options.batchSize, 'batchSize');
    this.#maxBuffered = positiveWhole(options.maxBuffered, 'maxBuffered');
    this.#timer = setInterval(() => void this.flush(), positiveWhole(options.flushIntervalMs, 'flushIntervalMs'));
    // The timer never keeps the process alive: close() writes what is left.
    this.#timer.unref();
  }

  record(event: AuditEvent): void {
    this.#pending.push(event);
    this.#bound();
    // While a write is out (or failing, retried by the timer) new events only wait, so a store that is down is
    // not asked once per event.
    if (this.#pending.length >= this.#batchSize && this.#writing === undefined && !this.#failing) setImmediate(() => void this.flush());
  }

  /** Writes everything waiting; concurrent calls share the write. Never rejects: a failure keeps the events. */
  async flush(): Promise<void> {
    while (this.#writing !== undefined) await this.#writing;
    this.#reportDrops();
    if (this.#pending.length === 0) return;
    this.#writing = this.#writeAll().finally(() => { this.#writing = undefined; });
    await this.#writing;
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  /** Events not written yet. */
  get pending(): number {
    return this.#pending.length;
  }

  /** Events dropped since start because the buffer was full while the store failed. */
  get dropped(): number {
    return this.#dropped;
  }

  async #writeAll(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#batchSize);
      try {
        await this.#store.insertMany(batch);
      } catch (err) {
        // Back at the head, in order, ahead of what arrived meanwhile; the bound may drop the oldest of them.
        this.#pending = [...batch, ...this.#pending];
        this.#bound();
        if (!this.#failing) this.#logger.error({ err, waiting: this.#pending.length }, 'audit write failed; events kept and tried again');
        this.#failing = true;
        return;
      }
      if (this.#failing) this.#logger.info({ waiting: this.#pending.length }, 'audit writes succeed again');
      this.#failing = false;
      // A synchronous store (SQLite) holds the event loop for a batch; between batches, requests run.
      if (this.#pending.length > 0) await yieldToEventLoop();
    }
  }

  #bound(): void {
    const excess = this.#pending.length - this.#maxBuffered;
    if (excess <= 0) return;
    this.#pending.splice(0, excess);
    this.#dropped += excess;
    this.#droppedUnlogged += excess;
  }

  /** At most one line per flush, however many were dropped since the last. */
  #reportDrops(): void {
    if (this.#droppedUnlogged === 0) return;
    this.#logger.warn({ dropped: this.#droppedUnlogged, droppedTotal: this.#dropped, maxBuffered: this.#maxBuffered }, 'audit events dropped: the buffer was full while the store failed');
    this.#droppedUnlogged = 0;
  }
}
