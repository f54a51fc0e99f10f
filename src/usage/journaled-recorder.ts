import type { Logger } from 'pino';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { UsageStore } from '../storage/ports.ts';
import type { Journal } from './journal/journal.ts';
import type { UsageWriter, UsageWriterGauges } from './usage-recorder.ts';

export interface JournaledRecorderOptions {
  readonly store: UsageStore;
  readonly journal: Journal;
  readonly gauges: UsageWriterGauges;
  readonly logger: Logger;
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Records kept in memory for the store; beyond it the oldest are read back from the journal when their turn comes. */
  readonly maxBuffered: number;
}

/** The journal's name for the usage store's cursor. */
const STORE_SINK = 'store';

/**
 * The usage writer with a journal: each record is appended to the journal on the response path (an encode and
 * an array push; the file write is the journal's group commit, within milliseconds), and written to the store
 * in batches from the journal's cursor. Recent records are taken from memory; what memory no longer holds (a
 * long store outage, or the records of a process that was killed) is read back from the journal. A record
 * leaves the journal only once the store has it, so a crash, a kill or an outage loses nothing the journal
 * wrote; the store ignores a record it has already (delivery is at least once).
 *
 * When the journal is full (usage.journal.maxBytes) a record is dropped and counted in
 * switchboard_usage_dropped_total, and the journal logs it once: nothing is dropped silently.
 */
export class JournaledRecorder implements UsageWriter {
  readonly #o: JournaledRecorderOptions;
  /** Records not yet in the store, oldest first, each with its journal sequence number. */
  #pending: Array<{ readonly seq: number; readonly record: UsageRecord }> = [];
  #flushing: Promise<void> | undefined;
  readonly #timer: NodeJS.Timeout;

  constructor(options: JournaledRecorderOptions) {
    this.#o = options;
    options.journal.register(STORE_SINK);
    this.#timer = setInterval(() => void this.flush(), options.flushIntervalMs);
    this.#timer.unref();
    // What an earlier process journalled and the store never got goes first.
    if (this.backlog > 0) setImmediate(() => void this.flush());
  }

  readonly record = (record: UsageRecord): void => {
    const seq = this.#o.journal.append(JSON.stringify(record));
    if (seq === undefined) {
      this.#o.gauges.dropped(1);
      return;
    }
    this.#pending.push({ seq, record });
    // The oldest leave memory, not the journal: they are read back from it when their turn comes.
    if (this.#pending.length > this.#o.maxBuffered) this.#pending.splice(0, this.#pending.length - this.#o.maxBuffered);
    this.#o.gauges.queueDepth(this.backlog);
    if (this.#pending.length >= this.#o.batchSize && this.#flushing === undefined) setImmediate(() => void this.flush());
  };

  /** Records the store does not have yet (in memory or only in the journal). */
  get backlog(): number {
    return this.#o.journal.nextSeq - 1 - this.#o.journal.acked(STORE_SINK);
  }

  get pending(): number {
    return this.backlog;
  }

  /** The journal's share of its maxBytes: memory holds at most maxBuffered, whatever the backlog. */
  get fill(): number {
    const { bytes, maxBytes } = this.#o.journal.stats;
    return bytes / maxBytes;
  }

  async flush(): Promise<void> {
    while (this.#flushing !== undefined) await this.#flushing;
    if (this.backlog === 0) return;
    this.#flushing = this.#writeBatches().finally(() => { this.#flushing = undefined; });
    await this.#flushing;
  }

  /** Writes what the store can take, then closes the journal (what is left stays in it for the next start). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.flush();
    await this.#o.journal.close();
  }

  async #writeBatches(): Promise<void> {
    const { journal } = this.#o;
    while (this.backlog > 0) {
      const next = journal.acked(STORE_SINK) + 1;
      let batch;
      try {
        batch = await this.#batchFrom(next);
      } catch (err) {
        this.#o.logger.error({ err, from: next }, 'usage journal: records could not be read back; tried again on the next flush');
        return;
      }
      if (batch.length === 0) return;
      try {
        await this.#o.store.insertMany(batch.map((b) => b.record));
      } catch (err) {
        this.#o.gauges.writeFailed();
        this.#o.logger.error({ err, records: batch.length }, 'usage write failed; records kept in the journal for the next flush');
        return;
      }
      const last = (batch.at(-1) as { seq: number }).seq;
      journal.ack(STORE_SINK, last);
      while (this.#pending.length > 0 && (this.#pending[0] as { seq: number }).seq <= last) this.#pending.shift();
      this.#o.gauges.queueDepth(this.backlog);
      // A synchronous store (SQLite) blocks the event loop for the whole batch; between batches, requests run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** Up to batchSize records from `next` on: from memory when it holds them, else read back from the journal. */
  async #batchFrom(next: number): Promise<Array<{ readonly seq: number; readonly record: UsageRecord }>> {
    const first = this.#pending[0];
    if (first !== undefined && first.seq === next) return this.#pending.slice(0, this.#o.batchSize);
    // Not in memory: written by an earlier process, or pushed out of memory during an outage. A record appended a
    // moment ago may still be in the journal's buffer: it is written first.
    let entries = await this.#o.journal.read(next, this.#o.batchSize);
    if (entries.length === 0) {
      // A journal that cannot write now is retried on its own; the records wait in its memory meanwhile.
      const written = await this.#o.journal.flush().then(() => true, () => false);
      if (!written) return [];
      entries = await this.#o.journal.read(next, this.#o.batchSize);
    }
    const out: Array<{ readonly seq: number; readonly record: UsageRecord }> = [];
    for (const entry of entries) {
      // Records in memory take over from where they begin.
      if (first !== undefined && entry.seq >= first.seq) break;
      try {
        out.push({ seq: entry.seq, record: JSON.parse(entry.payload.toString()) as UsageRecord });
      } catch (err) {
        this.#o.logger.error({ err, seq: entry.seq }, 'usage journal: a record that is not JSON was skipped');
      }
    }
    if (out.length === 0 && entries.length > 0) {
      // Every entry was unreadable: step past them so the rest is not held up.
      this.#o.journal.ack(STORE_SINK, (entries.at(-1) as { seq: number }).seq);
    }
    return out;
  }
}
