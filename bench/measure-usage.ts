// The usage pipeline's own figures, in the bench process (the gateway idles meanwhile): what recording costs a
// request (the ledger making its two records, the pipeline encoding and journalling them, the SQLite store writing
// them in batches) at a steady gateway-like rate, with the store empty and with 10 million records already in it;
// the journal's append throughput; PostgreSQL's ingest rate through the store's batched insert.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import pg from 'pg';
import type { JsonCell } from './measure-json.ts';
import { NO_ROUTE_TAGS } from '../src/domain/route-tags.ts';
import type { UsageRecord } from '../src/domain/usage-record.ts';
import { createPostgresStorage } from '../src/storage/postgres/postgres-storage.ts';
import { createSqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';
import type { CallOutcome } from '../src/usage/call-outcome.ts';
import { Journal } from '../src/usage/journal/journal.ts';
import { PriceBook } from '../src/usage/price-book.ts';
import { encodeRecord } from '../src/usage/record-encoding.ts';
import { RecordPipeline } from '../src/usage/record-pipeline.ts';
import { StoreSink } from '../src/usage/sinks/store-sink.ts';
import { BUILT_IN_PRICES } from '../src/usage/price-table.ts';
import { UsageLedger, type UsageListener } from '../src/usage/usage-ledger.ts';

/** The usage phase: cells of the main instance (journal on, the default) and of one with the journal off, and the figures below. */
export interface UsageCells {
  readonly cells: ReadonlyArray<{ readonly journal: 'on' | 'off'; readonly cell: JsonCell }>;
  readonly figures: UsageFigures | null;
  readonly problems: readonly string[];
}

/** Bars of the usage issue: recording's CPU per request, PostgreSQL's ingest rate. */
export const RECORDING_BAR_US = 10;
export const POSTGRES_INGEST_BAR = 20_000;

/** Mean CPU µs/req of the cells with the journal `journal`; null with none. */
export function meanUsageCpu(cells: UsageCells['cells'], journal: 'on' | 'off'): number | null {
  const values = cells.filter((c) => c.journal === journal).map((c) => c.cell.cpuUsPerRequest).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export interface UsageFigures {
  /** CPU µs per request that recording adds (two records), with the store empty and with `filledRows` in it. */
  readonly recordingUsEmpty: number;
  readonly recordingUsFilled: number | null;
  readonly filledRows: number;
  readonly requestsPerS: number;
  /** The journal alone: records appended and written per second of wall time, MB/s, CPU µs per record. */
  readonly journalRecordsPerS: number;
  readonly journalMbPerS: number;
  readonly journalCpuUsPerRecord: number;
  /** PostgreSQL: records per second through UsageStore.insertMany in batches of 1,000; null when not reachable. */
  readonly postgresRecordsPerS: number | null;
  readonly problems: string[];
}

/** Requests per second of the steady loop: about what the gateway serves at c=64 on one core. */
const RATE = 4000;
const TURN_MS = 2;
const MEASURE_S = 8;
const FILL_ROWS = Number(process.env.BENCH_USAGE_FILL ?? 10_000_000);
const POSTGRES_URL = process.env.SWITCHBOARD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function outcome(kind: 'attempt' | 'request', i: number): CallOutcome {
  return {
    kind, attempt: kind === 'attempt' ? 1 : 0, requestId: `bench-${i}`, keyId: 'bench-key', endpoint: 'chat', stream: false,
    modelRequested: 'gpt-4o-mini', provider: 'openai', modelServed: 'gpt-4o-mini', pricing: undefined, startedMs: Date.now(), latencyMs: 1.234,
    status: 200, outcome: 'ok', errorCode: null, usage: { inputTokens: 24, outputTokens: 28, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
    ttftMs: 1.1, route: NO_ROUTE_TAGS, retries: 0, fallbackChain: kind === 'request' ? ['openai/gpt-4o-mini'] : [],
  };
}

/** The record the ledger makes of request `i`'s outcome, as the gateway would. */
function ledgerRecord(ledger: { record(o: CallOutcome): void }, taken: { last?: UsageRecord }, i: number): UsageRecord {
  ledger.record(outcome('request', i));
  return taken.last as UsageRecord;
}

/** A ledger whose records land in `taken.last`. */
function capturingLedger(): { ledger: UsageLedger; taken: { last?: UsageRecord } } {
  const taken: { last?: UsageRecord } = {};
  return { ledger: new UsageLedger(new PriceBook(BUILT_IN_PRICES), [(r) => { taken.last = r; }]), taken };
}

/** CPU µs per request of a steady loop of RATE requests a second, each making its attempt and request records. */
async function steadyLoop(listener: UsageListener): Promise<number> {
  const ledger = new UsageLedger(new PriceBook(BUILT_IN_PRICES), [listener]);
  const perTurn = (RATE * TURN_MS) / 1000;
  const turns = (MEASURE_S * 1000) / TURN_MS;
  let i = 0;
  const run = async (n: number): Promise<void> => {
    for (let t = 0; t < n; t++) {
      for (let k = 0; k < perTurn; k++, i++) {
        ledger.record(outcome('attempt', i));
        ledger.record(outcome('request', i));
      }
      await new Promise((resolve) => setTimeout(resolve, TURN_MS));
    }
  };
  await run(turns / 4);
  const before = process.cpuUsage();
  await run(turns);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / (turns * perTurn);
}

async function recordingUs(dir: string, fill: number): Promise<number> {
  const path = join(dir, 'switchboard.db');
  const storage = createSqliteStorage({ path });
  await storage.migrate();
  if (fill > 0) fillSqlite(path, fill);
  const journal = await Journal.open({ dir: join(dir, 'journal') });
  const pipeline = new RecordPipeline({
    journal, sinks: [new StoreSink(storage.usage, storage.audit)], logger: quiet, flushIntervalMs: 1000, batchSize: 500, maxBuffered: 100_000, whenFull: 'drop',
    gauges: { dropped: () => undefined, writeFailed: () => undefined },
  });
  try {
    const withRecording = await steadyLoop(pipeline.recordUsage);
    await pipeline.flush();
    const without = await steadyLoop(() => undefined);
    return withRecording - without;
  } finally {
    await pipeline.close();
    await storage.close();
  }
}

/** `rows` request records straight into the table by SQL (minutes faster than through the store), indexes kept up. */
function fillSqlite(path: string, rows: number): void {
  const db = new DatabaseSync(path);
  const start = Date.now() - rows;
  db.exec(`PRAGMA journal_mode = WAL; PRAGMA synchronous = OFF;
    WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${rows})
    INSERT INTO usage_records (id, request_id, kind, attempt, started_at, started_at_ms, key_id, endpoint, stream, provider,
      model_requested, model_served, status, outcome, error_code, input_tokens, output_tokens, cached_input_tokens,
      cache_write_tokens, cost_usd, latency_ms, ttft_ms, workspace_id, reasoning_tokens, retries, fallback_chain)
    SELECT printf('fill-%012d', i), printf('fill-req-%012d', i), 'request', 0, strftime('%Y-%m-%dT%H:%M:%fZ', (${start} + i) / 1000.0, 'unixepoch'), ${start} + i,
      'bench-key', 'chat', 0, 'openai', 'gpt-4o-mini', 'gpt-4o-mini', 200, 'ok', NULL, 24, 28, 0, 0, 0.0000204, 1.234, 1.1,
      CASE i % 4 WHEN 0 THEN NULL ELSE 'ws-' || (i % 4) END, 0, 0, '["openai/gpt-4o-mini"]' FROM n;`);
  db.close();
}

async function journalThroughput(dir: string): Promise<{ recordsPerS: number; mbPerS: number; cpuUs: number }> {
  const journal = await Journal.open({ dir: join(dir, 'journal-throughput') });
  journal.register('bench');
  const { ledger, taken } = capturingLedger();
  const json = encodeRecord('usage', ledgerRecord(ledger, taken, 0));
  const n = 500_000;
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    journal.append(json);
    if (i % 1000 === 999) await new Promise((resolve) => setImmediate(resolve));
  }
  await journal.flush();
  const wallS = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const bytes = journal.stats.bytes;
  await journal.close();
  return { recordsPerS: n / wallS, mbPerS: bytes / 1e6 / wallS, cpuUs: (used.user + used.system) / n };
}

async function postgresIngest(): Promise<number> {
  const schema = `sb_bench_${randomBytes(6).toString('hex')}`;
  const storage = createPostgresStorage({ connectionString: POSTGRES_URL, schema, connectTimeoutMs: 2000 });
  try {
    await storage.migrate();
    const { ledger, taken } = capturingLedger();
    const batches: UsageRecord[][] = [];
    for (let b = 0; b < 100; b++) {
      const batch: UsageRecord[] = [];
      for (let k = 0; k < 1000; k++) {
        batch.push(ledgerRecord(ledger, taken, b * 1000 + k));
      }
      batches.push(batch);
    }
    const started = performance.now();
    for (const batch of batches) await storage.usage.insertMany(batch);
    return 100_000 / ((performance.now() - started) / 1000);
  } finally {
    await storage.close();
    const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2000 });
    await client.connect().then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`)).catch(() => undefined).finally(() => client.end().catch(() => undefined));
  }
}

export async function measureUsage(progress: (text: string) => void): Promise<UsageFigures> {
  const problems: string[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-pipeline-'));
  try {
    const empty = await recordingUs(join(dir, 'empty'), 0);
    progress(`usage: recording ${empty.toFixed(2)} µs/request with the store empty`);
    let filled: number | null = null;
    try {
      const started = performance.now();
      filled = await recordingUs(join(dir, 'filled'), FILL_ROWS);
      progress(`usage: recording ${filled.toFixed(2)} µs/request with ${FILL_ROWS} records stored (filled and measured in ${Math.round((performance.now() - started) / 1000)} s)`);
    } catch (err) {
      problems.push(`recording with ${FILL_ROWS} records stored not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
    rmSync(join(dir, 'filled'), { recursive: true, force: true });
    const j = await journalThroughput(dir);
    progress(`usage: journal ${Math.round(j.recordsPerS)} records/s, ${j.mbPerS.toFixed(1)} MB/s`);
    let postgres: number | null = null;
    try {
      postgres = await postgresIngest();
      progress(`usage: PostgreSQL ingest ${Math.round(postgres)} records/s`);
    } catch (err) {
      problems.push(`PostgreSQL ingest not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
    return {
      recordingUsEmpty: empty, recordingUsFilled: filled, filledRows: FILL_ROWS, requestsPerS: RATE,
      journalRecordsPerS: j.recordsPerS, journalMbPerS: j.mbPerS, journalCpuUsPerRecord: j.cpuUs, postgresRecordsPerS: postgres, problems,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run alone: `node bench/measure-usage.ts` prints the figures.
if (import.meta.url === `file://${process.argv[1]}`) {
  const figures = await measureUsage((text) => process.stderr.write(`${text}\n`));
  process.stdout.write(`${JSON.stringify(figures, null, 2)}\n`);
}
