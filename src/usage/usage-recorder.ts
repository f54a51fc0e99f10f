import type { Logger } from 'pino';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { UsageStore } from '../storage/ports.ts';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** The writer's own health figures; the metrics module implements them (usage never imports metrics). */
export interface UsageWriterGauges {
  queueDepth(depth: number): void;
  dropped(count: number): void;
  writeFailed(): void;
}

/** What the gateway asks of its usage writer, with or without a journal. */
export interface UsageWriter {
  /** Takes a finished record on the response path; never throws, never waits. */
  readonly record: (record: UsageRecord) => void;
  /** Writes what is waiting; concurrent calls share one write. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
  /** Records the store does not have yet. */
  readonly pending: number;
  /** How full what holds them is, 0 to 1 (memory: of maxBuffered; the journal: of its maxBytes). */
  readonly fill: number;
}

export interface UsageRecorderOptions {
  readonly store: UsageStore;
  readonly gauges: UsageWriterGauges;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  readonly maxBuffered: number;
}

/**
 * Takes usage records on the response path (an array push) and writes them in batches off it. A failed
 * write keeps the batch and tries again on the next flush; only past maxBuffered are the oldest dropped,
 * and each drop is counted in switchboard_usage_dropped_total.
 */
export class UsageRecorder implements UsageWriter {
  readonly #o: UsageRecorderOptions;
  #pending: UsageRecord[] = [];
  /** Records ever dropped from the head of #pending; tells a finished write how much of its batch is still there. */
  #dropped = 0;
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: UsageRecorderOptions) {
    this.#o = options;
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.#timer.unref();
  }

  readonly record = (record: UsageRecord): void => {
    this.#pending.push(record);
    if (this.#pending.length > this.#o.maxBuffered) {
      const excess = this.#pending.length - this.#o.maxBuffered;
      this.#pending.splice(0, excess);
      this.#dropped += excess;
      this.#o.gauges.dropped(excess);
    }
    this.#o.gauges.queueDepth(this.#pending.length);
    // A write in progress keeps going while records are pending; after a failure the timer retries, so a
    // store that is down is not hit once per new record.
    if (this.#pending.length >= this.#o.batchSize && this.#flushing === undefined) setImmediate(() => void this.flush());
  };

  /** Writes everything pending; concurrent calls share one write. */
  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.#pending.length === 0) return;
    this.#flushing = this.#writeBatches().finally(() => { this.#flushing = undefined; });
    await this.#flushing;
  }

  /** Stops the timer and writes what is left. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
  }

  get pending(): number {
    return this.#pending.length;
  }

  get fill(): number {
    return this.#pending.length / this.#o.maxBuffered;
  }

  async #writeBatches(): Promise<void> {
    while (this.#pending.length > 0) {
      const batch = this.#pending.slice(0, this.#o.batchSize);
      const droppedBefore = this.#dropped;
      try {
        await this.#o.store.insertMany(batch);
      } catch (err) {
        this.#o.gauges.writeFailed();
        this.#o.logger.error({ err, records: batch.length }, 'usage write failed; records kept for the next flush');
        return;
      }
      // Records of this batch that were dropped while it was being written are no longer at the head.
      this.#pending.splice(0, batch.length - Math.min(batch.length, this.#dropped - droppedBefore));
      this.#o.gauges.queueDepth(this.#pending.length);
      // A synchronous store (SQLite) blocks the event loop for the whole batch; between batches, requests run.
      if (this.#pending.length > 0) await yieldToEventLoop();
    }
  }
}
