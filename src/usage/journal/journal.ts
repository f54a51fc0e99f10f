import { mkdir, open, readdir, readFile, rename, stat, truncate, unlink, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeFrame, FRAME_HEADER_BYTES, writeFrame } from './journal-frame.ts';

export interface JournalOptions {
  /** Its own folder: segment files, the sinks' cursors, corrupt tails moved aside. */
  readonly dir: string;
  /** Appended records reach the file (the OS's page cache) at most this long after append: group commit. */
  readonly commitIntervalMs?: number;
  /** The file is fsync'ed at most this often: what an OS crash or a power cut can lose; a killed process loses nothing written. */
  readonly syncIntervalMs?: number;
  /** A segment file is closed and a new one started past this size; whole segments are deleted once every sink has them. */
  readonly segmentBytes?: number;
  /** The most the journal may hold on disk (and in its buffer); append refuses past it. */
  readonly maxBytes?: number;
  readonly logger?: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface JournalEntry {
  readonly seq: number;
  readonly payload: Buffer;
}

export interface JournalStats {
  /** Bytes on disk and waiting to be written. */
  readonly bytes: number;
  readonly maxBytes: number;
  /** The next sequence number append will give. */
  readonly nextSeq: number;
  /** The highest sequence number written to the file. */
  readonly committedSeq: number;
  /** Records appended and not yet acknowledged by the slowest sink. */
  readonly backlog: number;
  /** Appends refused because the journal was full, since it was opened. */
  readonly refused: number;
}

/** Whole frames in a row, not yet written: a part of a chunk. */
interface Run {
  readonly bytes: Buffer;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

interface Segment {
  readonly firstSeq: number;
  readonly path: string;
  /** Bytes written (all of them whole frames). */
  bytes: number;
  /** The last sequence number in it; firstSeq - 1 while empty. */
  lastSeq: number;
  /** Closed for good (it reached its size, or the next frame did not fit): the next write starts a new segment. */
  full?: boolean;
}

/** The options with their defaults filled in. */
type Settings = Required<Omit<JournalOptions, 'logger'>> & Pick<JournalOptions, 'logger'>;

const DEFAULTS = { commitIntervalMs: 10, syncIntervalMs: 1000, segmentBytes: 16 * 1024 * 1024, maxBytes: 1024 * 1024 * 1024 };
const SEGMENT_NAME = /^(\d{16})\.log$/;
const CURSORS = 'cursors.json';
const LOCK = 'lock';
const READ_CHUNK = 1024 * 1024;
/**
 * Appended frames are encoded straight into chunks of this size (no buffer per record: at thousands of records a
 * second, small buffers cost more in allocation and collection than the encoding itself) and written a chunk at a
 * time; a record bigger than a chunk gets a chunk of its own.
 */
const CHUNK_BYTES = 256 * 1024;
/** After a failed write, the next try waits this long. */
const WRITE_RETRY_MS = 1000;
/** Cursors reach their file at most this long after an acknowledgement. */
const CURSOR_WRITE_DELAY_MS = 100;

/**
 * The usage pipeline's durable journal: records are appended to local segment files (group commit, one write per
 * interval, fsync on its own interval), read back by every sink from its own cursor, and deleted a segment at a
 * time once every sink has acknowledged it. A process killed at any moment keeps every record written to the
 * file; at open, a tail cut mid-record (a crash mid-write) is found by its length or checksum, moved aside to a
 * `.corrupt-<time>` file with a log line, and the good records before it are kept.
 *
 * Delivery is at least once: a sink's cursor is saved shortly after it acknowledges, so after a crash a sink may
 * be handed records it already had — each carries its sequence number, the dedup id sinks key on.
 */
export class Journal {
  readonly #o: Settings;
  readonly #segments: Segment[];
  readonly #cursors: Map<string, number>;
  #active: { segment: Segment; fh: FileHandle } | undefined;
  #nextSeq: number;
  /** Frames appended and not yet written, in runs of whole frames: sealed chunks, then the one being filled. */
  #runs: Run[] = [];
  /**
   * The chunk being filled: bytes [0, sealed) are runs already (written, or queued to be), [sealed, used) frames
   * appended since. Appends go on filling it while a run of it is being written: the two never overlap.
   */
  #chunk: Buffer = Buffer.allocUnsafeSlow(CHUNK_BYTES);
  #chunkUsed = 0;
  #chunkSealed = 0;
  /** The sequence number of the first frame in [sealed, used). */
  #chunkFirstSeq = 1;
  /** Chunks filled up whose runs may not all be written yet; reused once every run is. */
  #retired: Buffer[] = [];
  #spare: Buffer[] = [];
  #bufferBytes = 0;
  #diskBytes: number;
  #refused = 0;
  #warnedFull = false;
  #writing: Promise<void> | undefined;
  #commitTimer: ReturnType<typeof setTimeout> | undefined;
  #cursorTimer: ReturnType<typeof setTimeout> | undefined;
  readonly #syncTimer: ReturnType<typeof setInterval>;
  #unsynced = false;
  /** The last write failed (logged once until one succeeds). */
  #failing = false;
  /** Where the last read of each sequence stopped: sinks read on from there without scanning the segment. */
  readonly #positions = new Map<number, { readonly segment: Segment; readonly offset: number }>();
  #closed = false;

  private constructor(o: Settings, segments: Segment[], cursors: Map<string, number>, nextSeq: number) {
    this.#o = o;
    this.#segments = segments;
    this.#cursors = cursors;
    this.#nextSeq = nextSeq;
    this.#chunkFirstSeq = nextSeq;
    this.#diskBytes = segments.reduce((sum, s) => sum + s.bytes, 0);
    this.#syncTimer = setInterval(() => void this.sync().catch((err: unknown) => this.#o.logger?.error({ err }, 'journal: fsync failed')), o.syncIntervalMs);
    this.#syncTimer.unref();
  }

  /** Opens (or creates) the journal in `options.dir`, recovering from a crash mid-write. */
  static async open(options: JournalOptions): Promise<Journal> {
    const o = { ...DEFAULTS, ...options };
    await mkdir(o.dir, { recursive: true });
    await lock(o.dir);
    const names = (await readdir(o.dir)).filter((n) => SEGMENT_NAME.test(n)).sort();
    const segments: Segment[] = [];
    for (const name of names) {
      const path = join(o.dir, name);
      segments.push({ firstSeq: Number(SEGMENT_NAME.exec(name)?.[1]), path, bytes: (await stat(path)).size, lastSeq: 0 });
    }
    // Segments are contiguous: each ends just before the next begins. Only the last can have a torn tail.
    segments.forEach((s, i) => { s.lastSeq = (segments[i + 1]?.firstSeq ?? s.firstSeq) - 1; });
    const last = segments.at(-1);
    if (last !== undefined) await recoverTail(last, o.logger);
    const cursors = await readCursors(join(o.dir, CURSORS));
    const highestAcked = Math.max(0, ...cursors.values());
    const nextSeq = Math.max((last?.lastSeq ?? 0) + 1, highestAcked + 1, 1);
    return new Journal(o, segments, cursors, nextSeq);
  }

  /**
   * Appends one record; returns its sequence number, or undefined when the journal is full (maxBytes): the caller
   * applies its policy. Synchronous and cheap: the write happens within commitIntervalMs, off the caller's path.
   */
  append(payload: Buffer | string): number | undefined {
    if (this.#closed) throw new Error('journal: closed');
    // A string is encoded in place: at most 3 bytes per UTF-16 unit, the exact length is known once written.
    const bound = FRAME_HEADER_BYTES + (typeof payload === 'string' ? payload.length * 3 : payload.length);
    if (this.#diskBytes + this.#bufferBytes + bound > this.#o.maxBytes) {
      this.#refused++;
      if (!this.#warnedFull) {
        this.#warnedFull = true;
        this.#o.logger?.warn({ event: 'journal_full', bytes: this.#diskBytes + this.#bufferBytes, maxBytes: this.#o.maxBytes }, 'journal: full, records are refused until the sinks catch up');
      }
      return undefined;
    }
    if (this.#chunk.length - this.#chunkUsed < bound) this.#nextChunk(bound);
    const seq = this.#nextSeq++;
    const bytes = writeFrame(this.#chunk, this.#chunkUsed, seq, payload);
    this.#chunkUsed += bytes;
    this.#bufferBytes += bytes;
    if (this.#commitTimer === undefined && this.#writing === undefined) {
      this.#commitTimer = setTimeout(() => void this.#commit(), this.#o.commitIntervalMs);
    }
    return seq;
  }

  /** The frames appended since the last seal become a run to write. */
  #seal(): void {
    if (this.#chunkUsed === this.#chunkSealed) return;
    this.#runs.push({ bytes: this.#chunk.subarray(this.#chunkSealed, this.#chunkUsed), firstSeq: this.#chunkFirstSeq, lastSeq: this.#nextSeq - 1 });
    this.#chunkSealed = this.#chunkUsed;
    this.#chunkFirstSeq = this.#nextSeq;
  }

  /** The chunk is full: what it holds becomes a run, and appends go on in a spare chunk (or a new one) with room for `atLeast` bytes. */
  #nextChunk(atLeast: number): void {
    this.#seal();
    if (this.#chunk.length === CHUNK_BYTES) this.#retired.push(this.#chunk);
    this.#chunk = atLeast <= CHUNK_BYTES ? this.#spare.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES) : Buffer.allocUnsafeSlow(atLeast);
    this.#chunkUsed = 0;
    this.#chunkSealed = 0;
  }

  /** Writes what is buffered now (the next commit would anyway); resolves once it is in the file. */
  /** Rejects when the file cannot be written (the records stay buffered and are tried again later). */
  async flush(): Promise<void> {
    while (this.#writing !== undefined || this.#bufferBytes > 0) {
      if (this.#writing !== undefined) {
        await this.#writing;
        continue;
      }
      await this.#commit();
      if (this.#failing) throw new Error('journal: the file cannot be written');
    }
  }

  /** fsync of what was written: survives an OS crash from here on. */
  async sync(): Promise<void> {
    if (!this.#unsynced || this.#active === undefined) return;
    this.#unsynced = false;
    await this.#active.fh.datasync();
  }

  /**
   * Up to `max` records from sequence `fromSeq` on, as written so far (what is still buffered is not). A record
   * deleted already (every sink had it) is skipped: the answer starts at the oldest one kept.
   */
  async read(fromSeq: number, max: number): Promise<JournalEntry[]> {
    const out: JournalEntry[] = [];
    let seq = fromSeq;
    while (out.length < max) {
      const at = this.#locate(seq);
      if (at === undefined) break;
      const { segment, offset } = at;
      const got = await this.#readSegment(segment, offset, seq, max - out.length, out);
      if (got.nextSeq === seq && got.offset >= segment.bytes) {
        // Nothing more in this segment; the next one, if any, begins after it.
        if (segment === this.#segments.at(-1)) break;
        seq = segment.lastSeq + 1;
        continue;
      }
      seq = got.nextSeq;
      this.#remember(seq, segment, got.offset);
      if (got.offset >= segment.bytes && segment === this.#segments.at(-1)) break;
    }
    return out;
  }

  /** The sinks' cursors: the last sequence number each has acknowledged (0: none yet). */
  acked(sink: string): number {
    return this.#cursors.get(sink) ?? 0;
  }

  /** A sink that the journal must keep records for; returns where it stands (0: from the oldest record kept). */
  register(sink: string): number {
    if (!this.#cursors.has(sink)) this.#cursors.set(sink, Math.max(0, (this.#segments[0]?.firstSeq ?? this.#nextSeq) - 1));
    return this.acked(sink);
  }

  /** The sinks that have a cursor: registered by this process or by an earlier one (cursors.json). */
  get sinks(): string[] {
    return [...this.#cursors.keys()];
  }

  /**
   * A sink that is no longer configured: its cursor goes, so the journal stops keeping records for it (a stale
   * cursor would keep every segment from then on, until the journal was full).
   */
  forget(sink: string): void {
    if (!this.#cursors.delete(sink)) return;
    this.#scheduleCursorSave();
    void this.#truncate();
  }

  /** Everything up to `seq` reached `sink`: its cursor moves on, and segments every sink has are deleted. */
  ack(sink: string, seq: number): void {
    if (seq <= this.acked(sink)) return;
    this.#cursors.set(sink, seq);
    this.#scheduleCursorSave();
    void this.#truncate();
  }

  /** The cursors reach their file shortly after they change: one write for all the acknowledgements of that while. */
  #scheduleCursorSave(): void {
    this.#cursorTimer ??= setTimeout(() => {
      this.#saveCursors().catch((err: unknown) => this.#o.logger?.error({ err }, 'journal: the sinks\' cursors could not be saved; they are saved again on the next acknowledgement'));
    }, CURSOR_WRITE_DELAY_MS);
  }

  /** The sequence number the next append will give (cheap: no stats computed). */
  get nextSeq(): number {
    return this.#nextSeq;
  }

  /** Bytes held (on disk and waiting to be written) as a share of maxBytes: cheap, read on every append. */
  get fill(): number {
    return (this.#diskBytes + this.#bufferBytes) / this.#o.maxBytes;
  }

  get stats(): JournalStats {
    const slowest = this.#cursors.size === 0 ? this.#nextSeq - 1 : Math.min(...this.#cursors.values());
    const committed = this.#segments.at(-1)?.lastSeq ?? this.#nextSeq - 1;
    return { bytes: this.#diskBytes + this.#bufferBytes, maxBytes: this.#o.maxBytes, nextSeq: this.#nextSeq, committedSeq: committed, backlog: this.#nextSeq - 1 - slowest, refused: this.#refused };
  }

  /** Writes and fsyncs what is buffered, saves the cursors, closes the file. */
  async close(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.flush();
    } catch {
      // Logged by the write; what could not be written is lost with the process, as the log said.
    }
    this.#closed = true;
    clearInterval(this.#syncTimer);
    if (this.#commitTimer !== undefined) clearTimeout(this.#commitTimer);
    await this.sync().catch(() => undefined);
    await this.#saveCursors().catch((err: unknown) => this.#o.logger?.error({ err }, 'journal: the sinks\' cursors could not be saved'));
    await this.#active?.fh.close();
    this.#active = undefined;
    await unlink(join(this.#o.dir, LOCK)).catch(() => undefined);
  }

  async #commit(): Promise<void> {
    if (this.#commitTimer !== undefined) clearTimeout(this.#commitTimer);
    this.#commitTimer = undefined;
    if (this.#bufferBytes === 0 || this.#writing !== undefined) return;
    this.#seal();
    const runs = this.#runs;
    this.#runs = [];
    let done = 0;
    this.#writing = (async () => {
      // One write per run, into the open segment; a segment that reached its size is closed after the run, so a
      // segment may pass segmentBytes by up to one run (a chunk).
      while (done < runs.length) {
        const run = runs[done] as Run;
        const active = await this.#activeFor(run.firstSeq);
        let piece = run;
        let tail: Run | undefined;
        if (active.segment.bytes + run.bytes.length > this.#o.segmentBytes) {
          // The frames that fit end this segment; the rest begin the next one. An empty segment takes at least one.
          [piece, tail] = splitRun(run, Math.max(this.#o.segmentBytes - active.segment.bytes, active.segment.bytes === 0 ? FRAME_HEADER_BYTES + run.bytes.readUInt32BE(0) : 0));
          if (piece.bytes.length === 0) {
            await this.#closeActive(active);
            continue;
          }
          if (tail.bytes.length === 0) tail = undefined;
        }
        await active.fh.write(piece.bytes);
        active.segment.bytes += piece.bytes.length;
        active.segment.lastSeq = piece.lastSeq;
        this.#diskBytes += piece.bytes.length;
        this.#bufferBytes -= piece.bytes.length;
        this.#unsynced = true;
        if (tail === undefined) done++;
        else runs[done] = tail;
        if (tail !== undefined || active.segment.bytes >= this.#o.segmentBytes) await this.#closeActive(active);
      }
      // Every run written: the chunks filled up before are free again (two kept, so a steady flow allocates nothing).
      if (this.#runs.length === 0) {
        for (const chunk of this.#retired) if (this.#spare.length < 2) this.#spare.push(chunk);
        this.#retired = [];
      }
      if (this.#warnedFull && this.#diskBytes < this.#o.maxBytes * 0.9) this.#warnedFull = false;
      if (this.#failing) {
        this.#failing = false;
        this.#o.logger?.warn({ event: 'journal_write_recovered' }, 'journal: writes succeed again');
      }
    })().catch((err: unknown) => {
      // What was not written goes back to the front: the next commit tries it again, after a pause.
      const rest = runs.slice(done);
      this.#runs = [...rest, ...this.#runs];
      // The file handle may be the broken part (a deleted or unmounted folder): the next commit opens it again.
      const broken = this.#active;
      this.#active = undefined;
      void broken?.fh.close().catch(() => undefined);
      if (!this.#failing) this.#o.logger?.error({ event: 'journal_write_failed', err, records: rest.reduce((n, r) => n + r.lastSeq - r.firstSeq + 1, 0) }, 'journal: write failed; records kept in memory and tried again every second');
      this.#failing = true;
    }).finally(() => {
      this.#writing = undefined;
      if (this.#bufferBytes > 0 && this.#commitTimer === undefined && !this.#closed) {
        this.#commitTimer = setTimeout(() => void this.#commit(), this.#failing ? WRITE_RETRY_MS : this.#o.commitIntervalMs);
      }
    });
    await this.#writing;
  }

  /** A full segment is made durable before the next begins: only the newest can have a torn tail. */
  async #closeActive(active: { segment: Segment; fh: FileHandle }): Promise<void> {
    active.segment.full = true;
    await active.fh.datasync();
    await active.fh.close();
    this.#active = undefined;
  }

  /** The segment the frames from `firstSeq` on are written to: the open one, or a new one named by that sequence. */
  async #activeFor(firstSeq: number): Promise<{ segment: Segment; fh: FileHandle }> {
    if (this.#active !== undefined) return this.#active;
    const last = this.#segments.at(-1);
    let segment: Segment;
    if (last !== undefined && last.full !== true && last.bytes < this.#o.segmentBytes && last.lastSeq === firstSeq - 1) {
      segment = last;
    } else {
      segment = { firstSeq, path: join(this.#o.dir, `${String(firstSeq).padStart(16, '0')}.log`), bytes: 0, lastSeq: firstSeq - 1 };
      this.#segments.push(segment);
    }
    this.#active = { segment, fh: await open(segment.path, 'a') };
    return this.#active;
  }

  #locate(seq: number): { segment: Segment; offset: number } | undefined {
    const hint = this.#positions.get(seq);
    if (hint !== undefined && seq <= hint.segment.lastSeq && this.#segments.includes(hint.segment)) return hint;
    // The segment holding seq (or, when it was deleted, the oldest kept).
    let found: Segment | undefined;
    for (const s of this.#segments) {
      if (s.firstSeq <= seq) found = s;
      else break;
    }
    found ??= this.#segments[0];
    if (found === undefined || seq > found.lastSeq && found === this.#segments.at(-1)) return undefined;
    return { segment: found, offset: 0 };
  }

  #remember(seq: number, segment: Segment, offset: number): void {
    if (this.#positions.size >= 64) this.#positions.clear();
    this.#positions.set(seq, { segment, offset });
  }

  /** Reads frames of `segment` from `offset`, appending those with seq >= fromSeq to `out` (up to `max`). */
  async #readSegment(segment: Segment, offset: number, fromSeq: number, max: number, out: JournalEntry[]): Promise<{ nextSeq: number; offset: number }> {
    let nextSeq = fromSeq;
    let position = offset;
    const fh = await open(segment.path, 'r');
    try {
      let taken = 0;
      while (position < segment.bytes && taken < max) {
        const want = Math.min(READ_CHUNK, segment.bytes - position);
        const chunk = Buffer.allocUnsafe(want);
        const { bytesRead } = await fh.read(chunk, 0, want, position);
        let at = 0;
        while (at < bytesRead && taken < max) {
          const decoded = decodeFrame(chunk.subarray(0, bytesRead), at);
          if (decoded.kind === 'short') {
            if (at === 0) {
              // A frame bigger than the chunk: read it whole.
              const length = chunk.readUInt32BE(0) + FRAME_HEADER_BYTES;
              const whole = Buffer.allocUnsafe(length);
              await fh.read(whole, 0, length, position);
              const big = decodeFrame(whole, 0);
              if (big.kind !== 'frame') return this.#corrupt(segment, position, big.kind === 'corrupt' ? big.reason : 'a cut record', nextSeq);
              if (big.seq >= fromSeq) { out.push({ seq: big.seq, payload: big.payload }); taken++; nextSeq = big.seq + 1; }
              at = big.bytes;
            }
            break;
          }
          if (decoded.kind === 'corrupt') return this.#corrupt(segment, position + at, decoded.reason, nextSeq);
          if (decoded.seq >= fromSeq) {
            // A copy: the chunk is reused by nobody, but a payload must not pin a whole megabyte.
            out.push({ seq: decoded.seq, payload: Buffer.from(decoded.payload) });
            taken++;
            nextSeq = decoded.seq + 1;
          }
          at += decoded.bytes;
        }
        position += at;
      }
      return { nextSeq, offset: position };
    } finally {
      await fh.close();
    }
  }

  /** A bad frame inside a written segment (not a torn tail: those are handled at open): the rest of it is skipped. */
  #corrupt(segment: Segment, offset: number, reason: string, nextSeq: number): { nextSeq: number; offset: number } {
    this.#o.logger?.error({ event: 'journal_corrupt', segment: segment.path, offset, reason, lostFrom: nextSeq, lostTo: segment.lastSeq }, 'journal: a corrupt record; the rest of its segment is skipped');
    return { nextSeq: segment.lastSeq + 1, offset: segment.bytes };
  }

  /** Deletes the segments every sink has acknowledged (never the one being written). */
  async #truncate(): Promise<void> {
    if (this.#cursors.size === 0) return;
    const slowest = Math.min(...this.#cursors.values());
    while (this.#segments.length > 0) {
      const oldest = this.#segments[0] as Segment;
      if (oldest.lastSeq > slowest) break;
      if (oldest === this.#segments.at(-1)) {
        // The newest, delivered whole: it goes too once the journal holds a quarter of its limit, else a journal
        // whose limit is near one segment's size would stay full after the sinks caught up. Never mid-write.
        if (oldest.bytes === 0 || this.#writing !== undefined || this.#diskBytes <= this.#o.maxBytes / 4) break;
        oldest.full = true;
        const active = this.#active;
        if (active?.segment === oldest) {
          this.#active = undefined;
          await active.fh.close().catch(() => undefined);
        }
        if (this.#segments[0] !== oldest) break;
      } else if (oldest === this.#active?.segment) {
        break;
      }
      this.#segments.shift();
      this.#diskBytes -= oldest.bytes;
      await unlink(oldest.path).catch((err: unknown) => this.#o.logger?.error({ err, segment: oldest.path }, 'journal: a delivered segment could not be deleted'));
    }
  }

  async #saveCursors(): Promise<void> {
    if (this.#cursorTimer !== undefined) clearTimeout(this.#cursorTimer);
    this.#cursorTimer = undefined;
    const path = join(this.#o.dir, CURSORS);
    // Written aside, then renamed over: a crash leaves the old file or the new one, never half of one.
    await writeFile(`${path}.tmp`, JSON.stringify(Object.fromEntries(this.#cursors)));
    await rename(`${path}.tmp`, path);
  }
}

/** Splits a run after the last whole frame that fits in `room` bytes (the head may be empty). */
function splitRun(run: Run, room: number): [Run, Run] {
  let at = 0;
  let seq = run.firstSeq;
  while (at < run.bytes.length) {
    const next = at + FRAME_HEADER_BYTES + run.bytes.readUInt32BE(at);
    if (next > room) break;
    at = next;
    seq++;
  }
  return [{ bytes: run.bytes.subarray(0, at), firstSeq: run.firstSeq, lastSeq: seq - 1 }, { bytes: run.bytes.subarray(at), firstSeq: seq, lastSeq: run.lastSeq }];
}

/**
 * One process per journal: two writing one folder would interleave their frames. The lock file holds the
 * owner's pid; one left by a process that is gone (killed) is taken over.
 */
async function lock(dir: string): Promise<void> {
  const path = join(dir, LOCK);
  const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
  if (Number.isSafeInteger(owner) && owner > 0 && owner !== process.pid && alive(owner)) {
    throw new Error(`journal: ${dir} is in use by process ${owner}; every replica needs a data directory of its own (SWITCHBOARD_DATA_DIR)`);
  }
  await writeFile(path, String(process.pid));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is someone else's.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readCursors(path: string): Promise<Map<string, number>> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as unknown;
    if (typeof parsed !== 'object' || parsed === null) return new Map();
    return new Map(Object.entries(parsed).filter((e): e is [string, number] => Number.isSafeInteger(e[1]) && (e[1] as number) >= 0));
  } catch {
    return new Map();
  }
}

/**
 * Finds where the last segment's good frames end; a torn or corrupt tail after them is copied to
 * `<segment>.corrupt-<time>` and cut off, with a log line.
 */
async function recoverTail(segment: Segment, logger: JournalOptions['logger']): Promise<void> {
  const data = await readFile(segment.path);
  let offset = 0;
  let lastSeq = segment.firstSeq - 1;
  let problem: string | undefined;
  while (offset < data.length) {
    const decoded = decodeFrame(data, offset);
    if (decoded.kind === 'frame' && decoded.seq === lastSeq + 1) {
      lastSeq = decoded.seq;
      offset += decoded.bytes;
      continue;
    }
    problem = decoded.kind === 'short' ? 'a record cut short' : decoded.kind === 'corrupt' ? decoded.reason : `sequence ${decoded.seq} where ${lastSeq + 1} was due`;
    break;
  }
  if (problem !== undefined) {
    const aside = `${segment.path}.corrupt-${Date.now()}`;
    await writeFile(aside, data.subarray(offset));
    await truncate(segment.path, offset);
    logger?.warn({ event: 'journal_tail_recovered', segment: segment.path, keptRecords: lastSeq - segment.firstSeq + 1, movedBytes: data.length - offset, movedTo: aside, problem }, 'journal: the end of the last segment was not whole (a crash mid-write); the good records are kept, the rest moved aside');
  }
  segment.bytes = offset;
  segment.lastSeq = lastSeq;
}
