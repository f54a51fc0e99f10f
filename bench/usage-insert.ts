// `npm run bench:usage`: CPU per usage record written to SQLite through the real adapter, the figure behind
// the storage choices cited as "bench: usage-insert" (multi-row INSERTs, UUIDv7 ids, batch size). Prints
// µs/record for time-ordered (UUIDv7) and random (UUIDv4) ids at the default batch size.
import { randomUUID, randomUUIDv7 } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';
import type { UsageRecord } from '../src/domain/usage-record.ts';

const ROUNDS = 6;
const PER_ROUND = 20_000;
const BATCH = Number(process.env.BENCH_USAGE_BATCH ?? 500);

function record(id: () => string): UsageRecord {
  return {
    id: id(), requestId: id(), kind: 'request', attempt: 0, startedAt: new Date().toISOString(), keyId: 'env-admin',
    endpoint: 'chat', stream: false, provider: 'openai', modelRequested: 'gpt-4o-mini', modelServed: 'gpt-4o-mini',
    status: 200, outcome: 'ok', errorCode: null, inputTokens: 24, outputTokens: 28, cachedInputTokens: 0,
    cacheWriteTokens: 0, costUsd: 0.0000204, latencyMs: 1.234, ttftMs: 1.1,
    workspaceId: null, agentType: null, userId: null, ruleId: null, experimentId: null, variant: null,
    reasoningTokens: 0, retries: 0, fallbackChain: ['openai/gpt-4o-mini'],
  };
}

async function measure(label: string, id: () => string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sb-bench-usage-'));
  const storage = createSqliteStorage({ path: join(dir, 'db.sqlite') });
  await storage.migrate();
  const perRound: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const records = Array.from({ length: PER_ROUND }, () => record(id));
    const before = process.cpuUsage();
    for (let i = 0; i < records.length; i += BATCH) await storage.usage.insertMany(records.slice(i, i + BATCH));
    const used = process.cpuUsage(before);
    perRound.push((used.user + used.system) / PER_ROUND);
  }
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
  perRound.sort((a, b) => a - b);
  const median = perRound[Math.floor(perRound.length / 2)] ?? 0;
  console.log(`${label.padEnd(22)} ${median.toFixed(2)} µs/record (median of ${ROUNDS} rounds of ${PER_ROUND}, batch ${BATCH}; table grows to ${ROUNDS * PER_ROUND} rows)`);
}

await measure('UUIDv7 ids (in use)', randomUUIDv7);
await measure('random UUIDv4 ids', randomUUID);
