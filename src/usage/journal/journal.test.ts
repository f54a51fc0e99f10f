import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { testDataDir } from '../../../test/support/test-data-dir.ts';
import { FRAME_HEADER_BYTES } from './journal-frame.ts';
import { Journal } from './journal.ts';

// The same length for every record, so a test can find the n-th frame by arithmetic.
const payload = (seq: number): Buffer => Buffer.from(JSON.stringify({ seq: String(seq).padStart(7, '0'), text: 'a usage record' }));
const segments = (dir: string): string[] => readdirSync(dir).filter((n) => n.endsWith('.log')).sort();

function logger(): { warn(obj: object, msg: string): void; error(obj: object, msg: string): void; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, warn: (obj) => lines.push(obj as Record<string, unknown>), error: (obj) => lines.push(obj as Record<string, unknown>) };
}

/** A journal of records 1..n, closed: its folder, its one segment file, and the size of one frame. */
async function closedJournalOf(n: number): Promise<{ dir: string; file: string; frame: number }> {
  const dir = testDataDir();
  const journal = await Journal.open({ dir });
  for (let i = 1; i <= n; i++) journal.append(payload(i));
  await journal.close();
  return { dir, file: join(dir, segments(dir)[0]!), frame: FRAME_HEADER_BYTES + payload(1).length };
}

async function readAll(journal: Journal, from = 1): Promise<number[]> {
  const seqs: number[] = [];
  for (let seq = from; ;) {
    const batch = await journal.read(seq, 1000);
    if (batch.length === 0) return seqs;
    for (const e of batch) {
      assert.deepEqual(e.payload, payload(e.seq), `payload of ${e.seq}`);
      seqs.push(e.seq);
    }
    seq = (batch.at(-1)?.seq ?? seq) + 1;
  }
}

describe('Journal', () => {
  it('gives every record the next sequence number and reads them back in order, across segments and a reopen', async () => {
    const dir = testDataDir();
    const journal = await Journal.open({ dir, segmentBytes: 8 * 1024 });
    for (let i = 1; i <= 2_000; i++) assert.equal(journal.append(payload(i)), i);
    assert.deepEqual(await journal.read(1, 10), [], 'nothing is read before it is written');
    await journal.flush();
    assert.deepEqual(await readAll(journal), Array.from({ length: 2_000 }, (_, i) => i + 1));
    assert.ok(segments(dir).length > 5, `${segments(dir).length} segments`);
    assert.deepEqual((await journal.read(1_500, 3)).map((e) => e.seq), [1_500, 1_501, 1_502]);
    await journal.close();
    const again = await Journal.open({ dir, segmentBytes: 8 * 1024 });
    assert.equal(again.append(payload(2_001)), 2_001);
    await again.flush();
    assert.equal((await readAll(again)).length, 2_001);
    await again.close();
  });

  it('keeps segments until every sink has acknowledged them, then deletes them; cursors survive a reopen', async () => {
    const dir = testDataDir();
    const journal = await Journal.open({ dir, segmentBytes: 4 * 1024 });
    assert.equal(journal.register('postgres'), 0);
    assert.equal(journal.register('nats'), 0);
    for (let i = 1; i <= 1_000; i++) journal.append(payload(i));
    await journal.flush();
    const before = segments(dir).length;
    const bytes = journal.stats.bytes;
    journal.ack('postgres', 1_000);
    journal.ack('nats', 500);
    await new Promise((resolve) => setTimeout(resolve, 20));
    const kept = segments(dir).length;
    assert.ok(kept < before && kept > 1, `${before} → ${kept} segments`);
    assert.ok(journal.stats.bytes < bytes);
    assert.equal(journal.stats.backlog, 500);
    // What nats still needs is all there.
    assert.deepEqual((await readAll(journal, 501)).length, 500);
    // Reading from a deleted record starts at the oldest kept.
    assert.ok((await journal.read(1, 1))[0]!.seq <= 501);
    await journal.close();
    const again = await Journal.open({ dir, segmentBytes: 4 * 1024 });
    assert.equal(again.acked('postgres'), 1_000);
    assert.equal(again.acked('nats'), 500);
    again.ack('nats', 1_000);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(segments(dir).length, 1, 'only the segment being written is kept');
    assert.equal(again.stats.backlog, 0);
    // A sink added later starts at the oldest record kept.
    assert.ok(again.register('kafka') >= 0);
    await again.close();
  });

  it('keeps the good records of a segment cut mid-record, moves the torn tail aside and goes on after it', async () => {
    const { dir, file, frame } = await closedJournalOf(100);
    const size = statSync(file).size;
    // The last record half written, as a crash in the middle of a write leaves it.
    truncateSync(file, size - Math.floor(frame / 2));
    const log = logger();
    const reopened = await Journal.open({ dir, logger: log });
    assert.deepEqual(await readAll(reopened), Array.from({ length: 99 }, (_, i) => i + 1));
    const aside = readdirSync(dir).filter((n) => n.includes('.corrupt-'));
    assert.equal(aside.length, 1);
    assert.equal(statSync(join(dir, aside[0]!)).size, frame - Math.floor(frame / 2));
    assert.equal(log.lines[0]?.event, 'journal_tail_recovered');
    assert.equal(log.lines[0]?.keptRecords, 99);
    assert.equal(reopened.append(payload(100)), 100, 'the sequence goes on from the last good record');
    await reopened.flush();
    assert.equal((await readAll(reopened)).length, 100);
    await reopened.close();
  });

  it('detects a record whose bytes changed (checksum) and keeps everything before it', async () => {
    const { dir, file, frame } = await closedJournalOf(50);
    const data = readFileSync(file);
    const at = frame * 30 + FRAME_HEADER_BYTES + 3;
    data.writeUInt8(data.readUInt8(at) ^ 0xff, at);
    writeFileSync(file, data);
    const log = logger();
    const reopened = await Journal.open({ dir, logger: log });
    assert.deepEqual(await readAll(reopened), Array.from({ length: 30 }, (_, i) => i + 1));
    assert.equal(log.lines[0]?.problem, 'a checksum mismatch');
    await reopened.close();
  });

  it('deletes the newest segment too once every sink has it and the journal is a quarter full, so a small journal empties', async () => {
    const dir = testDataDir();
    // One segment far larger than the limit: without this, the segment being written would never go.
    const journal = await Journal.open({ dir, maxBytes: 1024 * 1024, segmentBytes: 16 * 1024 * 1024 });
    journal.register('sink');
    for (let i = 1; i <= 6000; i++) journal.append(payload(i));
    await journal.flush();
    assert.ok(journal.stats.bytes > 256 * 1024);
    journal.ack('sink', journal.stats.committedSeq);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(journal.stats.bytes, 0);
    assert.deepEqual(segments(dir), []);
    // It goes on in a new segment, with the next sequence numbers.
    assert.equal(journal.append(payload(6001)), 6001);
    await journal.flush();
    assert.deepEqual((await journal.read(1, 10)).map((e) => e.seq), [6001]);
    await journal.close();
    const again = await Journal.open({ dir });
    assert.equal(again.append(payload(6002)), 6002, 'numbering survives a reopen');
    await again.close();
  });

  it('refuses appends past maxBytes, counting them and warning once, and takes them again once sinks catch up', async () => {
    const dir = testDataDir();
    const log = logger();
    const journal = await Journal.open({ dir, maxBytes: 10 * 1024, segmentBytes: 2 * 1024, logger: log });
    journal.register('sink');
    let refused = 0;
    for (let i = 1; i <= 400; i++) if (journal.append(payload(i)) === undefined) refused++;
    assert.ok(refused > 0);
    assert.equal(journal.stats.refused, refused);
    assert.equal(log.lines.filter((l) => l.event === 'journal_full').length, 1);
    await journal.flush();
    assert.ok(journal.stats.bytes <= 10 * 1024);
    journal.ack('sink', journal.stats.committedSeq);
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.notEqual(journal.append(payload(1)), undefined, 'room again once the sink has them');
    await journal.close();
  });

  it('keeps records in memory while its folder cannot be written, logs it once, and never spins', async () => {
    const dir = testDataDir();
    const log = logger();
    // Tiny segments: every commit opens a new file, which is what fails once the folder is gone.
    const journal = await Journal.open({ dir, logger: log, segmentBytes: 1 });
    journal.append(payload(1));
    await journal.flush();
    // The folder goes away under the running journal (a deleted or unmounted data directory).
    rmSync(dir, { recursive: true, force: true });
    for (let i = 2; i <= 10; i++) journal.append(payload(i));
    await assert.rejects(journal.flush(), /cannot be written/);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(log.lines.filter((l) => l.event === 'journal_write_failed').length, 1, 'one line for the whole outage');
    assert.equal(journal.stats.nextSeq, 11);
    // The folder is back: the next try writes what waited.
    mkdirSync(dir, { recursive: true });
    await journal.flush();
    assert.equal(log.lines.filter((l) => l.event === 'journal_write_recovered').length, 1);
    assert.deepEqual((await journal.read(2, 100)).map((e) => e.seq), [2, 3, 4, 5, 6, 7, 8, 9, 10]);
    await journal.close();
  });

  it('moves 100,000 records through with none missing or doubled', async () => {
    const dir = testDataDir();
    const journal = await Journal.open({ dir });
    journal.register('sink');
    let seen = 0;
    let expected = 1;
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 10_000; i++) journal.append(payload(round * 10_000 + i + 1));
      await journal.flush();
      for (let batch = await journal.read(journal.acked('sink') + 1, 5_000); batch.length > 0; batch = await journal.read(journal.acked('sink') + 1, 5_000)) {
        for (const e of batch) {
          assert.equal(e.seq, expected++);
          seen++;
        }
        journal.ack('sink', batch.at(-1)!.seq);
      }
    }
    assert.equal(seen, 100_000);
    await journal.close();
  });

  it('loses nothing that was written when its process is killed (SIGKILL)', async () => {
    const dir = testDataDir();
    const writer = spawn(process.execPath, [fileURLToPath(new URL('../../../test/support/journal-writer.ts', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let written = 0;
    await new Promise<void>((resolve, reject) => {
      writer.stdout.on('data', (chunk: Buffer) => {
        for (const line of chunk.toString().split('\n')) if (line !== '') written = Math.max(written, Number(line));
        if (written >= 20_000) resolve();
      });
      writer.once('exit', (code) => reject(new Error(`the writer exited with ${code}`)));
    });
    writer.kill('SIGKILL');
    writer.stdout.destroy();
    await new Promise((resolve) => writer.once('exit', resolve));
    // A write may have been under way: at most its tail is torn, and it is moved aside at open.
    const journal = await Journal.open({ dir });
    const seqs: number[] = [];
    for (let seq = 1; ;) {
      const batch = await journal.read(seq, 10_000);
      if (batch.length === 0) break;
      for (const e of batch) {
        assert.equal(e.payload.toString(), `record ${e.seq}`);
        seqs.push(e.seq);
      }
      seq = batch.at(-1)!.seq + 1;
    }
    assert.ok(seqs.length >= written, `${seqs.length} records kept, ${written} reported written`);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'every record once, in order');
    await journal.close();
  });
});
