import type { AuditEvent } from '../domain/audit-event.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { Journal } from './journal/journal.ts';
import { decodeRecord, encodeRecord } from './record-encoding.ts';
import type { RecordSink, RecordType, SinkRecord } from './sinks/record-sink.ts';

/** What the gateway asks of its usage writer (the pipeline's usage side). */
export interface UsageWriter {
  /** Takes a finished record on the response path; never throws, never waits. */
  readonly record: (record: UsageRecord) => void;
  /** Delivers what is waiting to every sink; concurrent calls share one delivery per sink. */
  flush(): Promise<void>;
  /** Stops the pipeline: delivers what the sinks take, then closes the journal and the sinks. */
  close(): Promise<void>;
  /** Records the slowest sink does not have yet. */
  readonly pending: number;
  /** How full what holds them is, 0 to 1 (the journal: of its maxBytes; memory: of maxBuffered). */
  readonly fill: number;
  /** Whether new requests must be refused (the journal is full, policy "refuse"). */
  readonly refusing: boolean;
}

/** What the pipeline does with a record the journal has no room for (usage.journal.whenFull). */
export type WhenFull = 'refuse' | 'drop';

/** The pipeline's health figures; the metrics module implements them (usage never imports metrics). */
export interface PipelineGauges {
  /** Records dropped: the journal was full (policy "drop"), or without a journal the memory was. */
  dropped(count: number): void;
  /** A delivery to a sink failed (it is retried). */
  writeFailed(sink: string): void;
}

export interface PipelineLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface RecordPipelineOptions {
  /** The local journal; undefined: records wait in memory only (a crash loses what no sink has yet). */
  readonly journal: Journal | undefined;
  /** Every sink records go to, the store first; each has its own cursor and goes at its own pace. */
  readonly sinks: readonly RecordSink[];
  readonly gauges: PipelineGauges;
  readonly logger: PipelineLogger;
  /** A sink is handed what it lacks at least this often, and at once whenever a whole batch is waiting. */
  readonly flushIntervalMs: number;
  readonly batchSize: number;
  /** Records held in memory, at most; beyond it the oldest are read back from the journal (without one: dropped). */
  readonly maxBuffered: number;
  readonly whenFull: WhenFull;
  /** Share of the journal's maxBytes at which a warning is logged (once, until it falls back below). */
  readonly warnAt?: number;
}

/** Per sink: what the journal's delivery loop has of it. */
export interface SinkStats {
  readonly name: string;
  /** Records appended that the sink has not acknowledged. */
  readonly backlog: number;
  /** Seconds since the oldest record it lacks was appended; 0 with none. */
  readonly oldestUndeliveredSeconds: number;
  /** Whether its last delivery failed. */
  readonly failing: boolean;
}

export interface PipelineStats {
  readonly sinks: readonly SinkStats[];
  /** The journal's bytes on disk and waiting to be written (0 without a journal). */
  readonly journalBytes: number;
  readonly journalMaxBytes: number;
  /** Whether new requests are being refused (policy "refuse" and the journal full). */
  readonly refusing: boolean;
}

/** One record as the pipeline holds it in memory. */
/**
 * One record as the pipeline holds it in memory, and as a sink is handed it (no object per delivery). Its payload
 * is made when a message sink reads it; the stores read `record`.
 */
class Entry {
  readonly seq: number;
  readonly type: RecordType;
  readonly id: string;
  readonly workspaceId: string | null;
  readonly record: UsageRecord | AuditEvent;
  /** Date.now() when appended. */
  readonly at: number;
  #payload: Buffer | undefined;

  constructor(seq: number, type: RecordType, id: string, workspaceId: string | null, record: UsageRecord | AuditEvent, at: number) {
    this.seq = seq;
    this.type = type;
    this.id = id;
    this.workspaceId = workspaceId;
    this.record = record;
    this.at = at;
  }

  get payload(): Buffer {
    this.#payload ??= Buffer.from(encodeRecord(this.type, this.record));
    return this.#payload;
  }
}

interface SinkState {
  readonly sink: RecordSink;
  /** The last sequence number it acknowledged (with a journal, mirrored in the journal's cursor). */
  acked: number;
  delivering: Promise<void> | undefined;
  /** A delivery of a whole batch is set for the next turn (one, however many records arrive meanwhile). */
  scheduled: boolean;
  failing: boolean;
  /** Deliveries failed in a row. */
  failures: number;
  /** When the record after `acked` was appended, when it is not in memory (read back from the journal). */
  headAt: number | undefined;
  /** The last sequence number handed to it in this process, delivered or not. */
  handed: number;
}

/** Refuse new requests once this share of the journal is used: the rest is room for the records of requests already admitted. */
const REFUSE_AT = 0.98;
const WARN_AT = 0.8;
/** A batch that failed this many times in a row is tried a record at a time (#isolate). */
const ISOLATE_AFTER_FAILURES = 3;

/**
 * The usage and audit pipeline: every record is appended to the journal on the response path (an encode into the
 * journal's buffer; the file write is its group commit, within milliseconds) and kept in memory, then delivered
 * to every sink — the store (SQLite or PostgreSQL), NATS JetStream, Kafka — in batches, each sink from its own
 * cursor. A batch goes as soon as it is whole, and what is waiting goes at least every flushIntervalMs; a failed
 * delivery is tried again on the next interval, the records kept. What memory no longer holds (a long outage, or
 * the records of a process that was killed) is read back from the journal, which deletes a segment only once
 * every sink has it: a crash, a kill or an outage of hours loses nothing the journal wrote. Delivery is at least
 * once; each record's id is the dedup id every sink keys on.
 *
 * When the journal is full: policy "refuse" refuses new requests (`refusing`, checked at admission) from 98 % of
 * its size so the records of requests already under way still fit; "drop" drops and counts
 * (switchboard_usage_dropped_total). A warning is logged at 80 %. Nothing is dropped silently.
 */
export class RecordPipeline {
  readonly #o: RecordPipelineOptions;
  readonly #sinks: SinkState[];
  /** Records in memory, oldest first, from index #head on; each sink's next record is in here or in the journal. */
  #recent: Entry[] = [];
  #head = 0;
  /** Without a journal: the next sequence number (the journal's own otherwise). */
  #nextSeq = 1;
  /** The first sequence number this process appended: those before are an earlier process's. */
  readonly #firstOwnSeq: number;
  #refusing = false;
  #warned = false;
  #closed = false;
  readonly #timer: NodeJS.Timeout;

  constructor(options: RecordPipelineOptions) {
    this.#o = options;
    const { journal } = options;
    this.#firstOwnSeq = journal?.nextSeq ?? 1;
    if (journal !== undefined) {
      this.#nextSeq = journal.nextSeq;
      for (const name of journal.sinks) {
        if (options.sinks.some((s) => s.name === name)) continue;
        journal.forget(name);
        options.logger.warn({ event: 'usage_sink_forgotten', sink: name }, `usage journal: sink "${name}" is no longer configured; the journal stops keeping records for it`);
      }
    }
    this.#sinks = options.sinks.map((sink) => ({ sink, acked: journal === undefined ? 0 : journal.register(sink.name), delivering: undefined, scheduled: false, failing: false, failures: 0, headAt: undefined, handed: 0 }));
    this.#timer = setInterval(() => this.#pumpAll(), options.flushIntervalMs);
    this.#timer.unref();
    // What an earlier process journalled and a sink never got goes first.
    if (this.backlog > 0) setImmediate(() => this.#pumpAll());
  }

  readonly recordUsage = (record: UsageRecord): void => {
    this.#append('usage', record.id, record.workspaceId, record);
  };

  readonly recordAudit = (event: AuditEvent): void => {
    this.#append('audit', event.id, event.workspaceId, event);
  };

  /** The usage side, as the gateway's deps hold it. */
  readonly usage: UsageWriter = ((pipeline: RecordPipeline): UsageWriter => ({
    record: pipeline.recordUsage,
    flush: () => pipeline.flush(),
    close: () => pipeline.close(),
    get pending() { return pipeline.backlog; },
    get fill() { return pipeline.fill; },
    get refusing() { return pipeline.refusing; },
  }))(this);

  /** The audit side: an AuditWriter (audit/audit-log.ts; usage does not import audit, the shape is the same). */
  readonly audit: { record(event: AuditEvent): void; flush(): Promise<void>; close(): Promise<void> } = { record: (event) => this.recordAudit(event), flush: () => this.flush(), close: () => this.close() };

  /** Whether new requests must be refused: the journal is full and the policy is "refuse". A field read: cheap on every request. */
  get refusing(): boolean {
    return this.#refusing;
  }

  /** Records the slowest sink does not have yet (in memory or only in the journal). */
  get backlog(): number {
    let slowest = this.#nextSeq - 1;
    for (const s of this.#sinks) if (s.acked < slowest) slowest = s.acked;
    return this.#nextSeq - 1 - slowest;
  }

  /** How full what holds the backlog is, 0 to 1: the journal's share of its maxBytes, or memory's of maxBuffered. */
  get fill(): number {
    const { journal } = this.#o;
    if (journal === undefined) return (this.#recent.length - this.#head) / this.#o.maxBuffered;
    return journal.fill;
  }

  get stats(): PipelineStats {
    const now = Date.now();
    const journal = this.#o.journal?.stats;
    return {
      sinks: this.#sinks.map((s) => {
        const backlog = this.#nextSeq - 1 - s.acked;
        const head = backlog === 0 ? undefined : this.#entry(s.acked + 1)?.at ?? s.headAt;
        return { name: s.sink.name, backlog, oldestUndeliveredSeconds: head === undefined ? 0 : Math.max(0, now - head) / 1000, failing: s.failing };
      }),
      journalBytes: journal?.bytes ?? 0,
      journalMaxBytes: journal?.maxBytes ?? 0,
      refusing: this.#refusing,
    };
  }

  /** Hands every sink what it lacks now; resolves when each has it, or its delivery failed (the records kept). */
  async flush(): Promise<void> {
    await Promise.all(this.#sinks.map((s) => this.#pump(s, true)));
  }

  /** Stops the timer, delivers what the sinks take, closes the journal (what is left stays in it) and the sinks. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.flush();
    await this.#o.journal?.close();
    await Promise.allSettled(this.#sinks.map((s) => s.sink.close()));
  }

  #append(type: RecordType, id: string, workspaceId: string | null, record: UsageRecord | AuditEvent): void {
    if (this.#closed) {
      this.#o.logger.error({ event: 'usage_record_after_close', id, type }, 'usage pipeline: a record arrived after shutdown and was dropped');
      this.#o.gauges.dropped(1);
      return;
    }
    const { journal } = this.#o;
    let seq: number;
    if (journal === undefined) {
      seq = this.#nextSeq++;
    } else {
      // The string dies here, once in the journal's buffer: kept for a message sink it would outlive the young
      // generation (tens of milliseconds until delivery) and cost more in collection than encoding it again.
      const appended = journal.append(encodeRecord(type, record));
      this.#watchFill(journal.fill);
      if (appended === undefined) {
        // Full: the journal logged it once; counted here. Under "refuse" only requests admitted before it filled get here.
        this.#o.gauges.dropped(1);
        return;
      }
      seq = appended;
      this.#nextSeq = seq + 1;
    }
    this.#recent.push(new Entry(seq, type, id, workspaceId, record, Date.now()));
    if (this.#recent.length - this.#head > this.#o.maxBuffered) this.#forgetOldest();
    for (const s of this.#sinks) {
      if (!s.scheduled && s.delivering === undefined && !s.failing && seq - s.acked >= this.#o.batchSize) {
        s.scheduled = true;
        setImmediate(() => {
          s.scheduled = false;
          void this.#pump(s, false);
        });
      }
    }
  }

  /** Memory is full: the oldest record leaves it. With a journal it is read back when its turn comes; without, it is lost and counted. */
  #forgetOldest(): void {
    const oldest = this.#recent[this.#head] as Entry;
    this.#head++;
    if (this.#o.journal === undefined) {
      this.#o.gauges.dropped(1);
      if (!this.#warned) {
        this.#warned = true;
        this.#o.logger.warn({ event: 'usage_buffer_full', maxBuffered: this.#o.maxBuffered }, 'usage pipeline: the memory buffer is full (no journal); the oldest records are dropped and counted');
      }
      // Sinks that lacked it skip it: it is gone.
      for (const s of this.#sinks) if (s.acked < oldest.seq) s.acked = oldest.seq;
    }
    this.#compact();
  }

  #watchFill(fill: number): void {
    const warnAt = this.#o.warnAt ?? WARN_AT;
    if (!this.#warned && fill >= warnAt) {
      this.#warned = true;
      this.#o.logger.warn({ event: 'usage_journal_filling', fill: Math.round(fill * 100) / 100, policy: this.#o.whenFull, slowest: this.#slowest()?.sink.name }, `usage journal ${Math.round(fill * 100)} % full: a sink is not keeping up; at the limit the policy "${this.#o.whenFull}" applies`);
    } else if (this.#warned && fill < warnAt * 0.9) {
      this.#warned = false;
    }
    const refusing = this.#o.whenFull === 'refuse' && fill >= REFUSE_AT;
    if (refusing !== this.#refusing) {
      this.#refusing = refusing;
      if (refusing) this.#o.logger.error({ event: 'usage_journal_refusing', fill }, 'usage journal full: new requests are refused (SB_USAGE_JOURNAL_FULL) until the sinks catch up');
      else this.#o.logger.warn({ event: 'usage_journal_accepting' }, 'usage journal has room again: requests are accepted');
    }
  }

  #slowest(): SinkState | undefined {
    let slowest: SinkState | undefined;
    for (const s of this.#sinks) if (slowest === undefined || s.acked < slowest.acked) slowest = s;
    return slowest;
  }

  #pumpAll(): void {
    for (const s of this.#sinks) void this.#pump(s, true);
    // The fill also falls as sinks catch up, with no record appended to notice it.
    if (this.#o.journal !== undefined) this.#watchFill(this.#o.journal.fill);
  }

  /** Delivers to one sink while it lacks records: whole batches, and (with `all`) the part batch at the end too. */
  async #pump(s: SinkState, all: boolean): Promise<void> {
    while (s.delivering !== undefined) await s.delivering;
    if (this.#nextSeq - 1 === s.acked) return;
    s.delivering = this.#deliverBatches(s, all).finally(() => { s.delivering = undefined; });
    await s.delivering;
  }

  async #deliverBatches(s: SinkState, all: boolean): Promise<void> {
    const { batchSize } = this.#o;
    // `all` means what was there when it was asked for: records that arrive meanwhile wait for a whole batch.
    // Chasing them instead would deliver, under steady load, a small batch after every pause between batches (a
    // SQLite commit per few dozen records, ten times the writes of whole batches).
    const until = all ? this.#nextSeq - 1 : 0;
    for (;;) {
      const waiting = this.#nextSeq - 1 - s.acked;
      if (waiting === 0 || waiting < batchSize && s.acked >= until) return;
      let batch: SinkRecord[];
      try {
        batch = await this.#batchFrom(s, s.acked + 1);
      } catch (err) {
        this.#o.logger.error({ err, sink: s.sink.name, from: s.acked + 1 }, 'usage journal: records could not be read back; tried again on the next interval');
        return;
      }
      if (batch.length === 0) return;
      // A record an earlier process journalled may have reached the sink before it stopped; so may one handed before.
      const first = (batch[0] as SinkRecord).seq;
      const firstDelivery = first > s.handed && first >= this.#firstOwnSeq;
      s.handed = Math.max(s.handed, (batch.at(-1) as SinkRecord).seq);
      try {
        await s.sink.deliver(batch, { firstDelivery });
      } catch (err) {
        this.#o.gauges.writeFailed(s.sink.name);
        if (!s.failing) this.#o.logger.error({ event: 'usage_sink_failing', err, sink: s.sink.name, records: batch.length }, 'usage sink: delivery failed; the records are kept and tried again every interval');
        s.failing = true;
        s.failures++;
        // The same batch failing again and again may be one record the sink will never take, not an outage.
        if (s.failures < ISOLATE_AFTER_FAILURES || !(await this.#isolate(s, batch))) return;
      }
      s.failures = 0;
      if (s.failing) {
        s.failing = false;
        this.#o.logger.info({ event: 'usage_sink_recovered', sink: s.sink.name }, 'usage sink: deliveries succeed again');
      }
      this.#acked(s, (batch.at(-1) as SinkRecord).seq);
      // A synchronous store (SQLite) blocks the event loop for a whole batch; between batches, requests run.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /**
   * Hands the sink a failing batch one record at a time. When some records go through and others do not, the sink
   * may be up and those others ones it refuses (a record it cannot store or publish), or an outage may have begun
   * or ended in the middle of the batch. So a refused record is skipped only once the sink is seen up right before
   * and right after refusing it again: a record it took is handed again on each side (sinks key on the record id,
   * so the repeat is stored once). Each skipped record gets an error line and is counted as dropped. When none
   * goes through, or the sink fails a check, it is an outage: nothing is skipped. Returns whether the batch is
   * done with (the caller then acknowledges it). A batch whose first records are all refused counts as an outage at once.
   */
  async #isolate(s: SinkState, batch: readonly SinkRecord[]): Promise<boolean> {
    const refused: SinkRecord[] = [];
    let taken: SinkRecord | undefined;
    for (const record of batch) {
      try {
        await s.sink.deliver([record], { firstDelivery: false });
        taken = record;
      } catch {
        refused.push(record);
        // The first few all refused: an outage (a store that is down would make each of 500 tries wait its timeout).
        if (taken === undefined && refused.length >= ISOLATE_AFTER_FAILURES) return false;
      }
    }
    if (taken === undefined) return false;
    const up = async (probe: SinkRecord): Promise<boolean> => s.sink.deliver([probe], { firstDelivery: false }).then(() => true, () => false);
    const skipped: Array<{ record: SinkRecord; err: unknown }> = [];
    for (const record of refused) {
      if (!(await up(taken))) return false;
      try {
        await s.sink.deliver([record], { firstDelivery: false });
        continue;
      } catch (err) {
        if (!(await up(taken))) return false;
        skipped.push({ record, err });
      }
    }
    for (const { record, err } of skipped) {
      this.#o.logger.error({ event: 'usage_sink_record_refused', err, sink: s.sink.name, id: record.id, type: record.type, seq: record.seq }, 'usage sink: a record the sink refuses on its own was skipped for it; the other sinks still get it');
    }
    if (skipped.length > 0) this.#o.gauges.dropped(skipped.length);
    return true;
  }

  #acked(s: SinkState, seq: number): void {
    s.acked = seq;
    s.headAt = undefined;
    this.#o.journal?.ack(s.sink.name, seq);
    // Records every sink has leave memory.
    let slowest = seq;
    for (const other of this.#sinks) if (other.acked < slowest) slowest = other.acked;
    while (this.#head < this.#recent.length && (this.#recent[this.#head] as Entry).seq <= slowest) this.#head++;
    this.#compact();
  }

  /** Drops the consumed front of #recent now and then, not on every record (shift is linear in the length). */
  #compact(): void {
    if (this.#head > 1024 && this.#head * 2 > this.#recent.length) {
      this.#recent = this.#recent.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The record `seq` when memory still holds it. */
  #entry(seq: number): Entry | undefined {
    const first = this.#recent[this.#head];
    if (first === undefined || seq < first.seq) return undefined;
    // Sequence numbers in memory are consecutive (records refused by a full journal never got one).
    return this.#recent[this.#head + seq - first.seq];
  }

  /** Up to batchSize records from `next` on: from memory when it holds them, else read back from the journal. */
  async #batchFrom(s: SinkState, next: number): Promise<SinkRecord[]> {
    const first = this.#recent[this.#head];
    if (first !== undefined && next >= first.seq) {
      const from = this.#head + next - first.seq;
      const out: SinkRecord[] = [];
      for (let i = from; i < this.#recent.length && out.length < this.#o.batchSize; i++) out.push(this.#recent[i] as Entry as SinkRecord);
      return out;
    }
    const { journal } = this.#o;
    if (journal === undefined) return [];
    // Not in memory: written by an earlier process, or pushed out of memory during an outage. A record appended a
    // moment ago may still be in the journal's buffer: it is written first.
    let entries = await journal.read(next, this.#o.batchSize);
    if (entries.length === 0) {
      const written = await journal.flush().then(() => true, () => false);
      if (!written) return [];
      entries = await journal.read(next, this.#o.batchSize);
    }
    const out: SinkRecord[] = [];
    for (const entry of entries) {
      // Records in memory take over from where they begin.
      if (first !== undefined && entry.seq >= first.seq) break;
      const decoded = decodeRecord(entry.payload);
      if (decoded === undefined) {
        this.#o.logger.error({ event: 'usage_journal_bad_record', seq: entry.seq }, 'usage journal: a record that is not in the record schema was skipped');
        continue;
      }
      out.push({ ...decoded, seq: entry.seq, payload: entry.payload } as SinkRecord);
    }
    if (out.length === 0 && entries.length > 0) {
      // Every entry was unreadable: step past them so the rest is not held up.
      this.#acked(s, (entries.at(-1) as { seq: number }).seq);
      return this.#batchFrom(s, s.acked + 1);
    }
    const head = out[0];
    if (head !== undefined) s.headAt = Date.parse(head.type === 'usage' ? head.record.startedAt : head.record.at);
    return out;
  }
}
