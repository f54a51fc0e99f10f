import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '../../src/domain/usage-record.ts';
import { makeUsageRecord } from '../support/usage-record-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const BASE_MS = Date.parse('2025-01-01T00:00:00.000Z');

/** The time `seconds` after the base time, in the canonical toISOString() form. */
function at(seconds: number): string {
  return new Date(BASE_MS + seconds * 1000).toISOString();
}

/** n records, one second apart, oldest first. */
function series(n: number, overrides: Partial<UsageRecord> = {}): UsageRecord[] {
  return Array.from({ length: n }, (_, i) => makeUsageRecord({ startedAt: at(i), ...overrides }));
}

/** Every field set to a non-default value: a stream that failed upstream, with cache tokens and a fractional cost. */
const FULL: Omit<UsageRecord, 'id' | 'requestId'> = {
  kind: 'attempt',
  attempt: 2,
  startedAt: '2025-06-30T23:59:59.123Z',
  keyId: 'key-full',
  endpoint: 'messages',
  stream: true,
  provider: 'anthropic',
  modelRequested: 'claude-latest',
  modelServed: 'claude-sonnet-4-20250514',
  status: 529,
  outcome: 'error',
  errorCode: 'SB_UPSTREAM_ERROR',
  inputTokens: 1_234_567,
  outputTokens: 89,
  cachedInputTokens: 1000,
  cacheWriteTokens: 250,
  costUsd: 0.000123456789,
  latencyMs: 1234.5,
  ttftMs: 321.25,
  workspaceId: 'ws-marketing-001',
  agentType: 'creative',
  userId: 'user-123',
  ruleId: 'creative-claude',
  experimentId: 'exp-1',
  variant: 'b',
};

/** Every nullable field null: a request that never reached a provider, no key, no first byte. */
const SPARSE: Omit<UsageRecord, 'id' | 'requestId'> = {
  kind: 'request',
  attempt: 0,
  startedAt: '2025-06-30T00:00:00.000Z',
  keyId: null,
  endpoint: 'count_tokens',
  stream: false,
  provider: null,
  modelRequested: 'no-such-model',
  modelServed: null,
  status: 0,
  outcome: 'client_aborted',
  errorCode: null,
  inputTokens: 0,
  outputTokens: 0,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
  latencyMs: 0,
  ttftMs: null,
  workspaceId: null,
  agentType: null,
  userId: null,
  ruleId: null,
  experimentId: null,
  variant: null,
};

function assertSameFields(actual: UsageRecord | undefined, expected: UsageRecord): void {
  assert.ok(actual, `record ${expected.id} is missing`);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const field of Object.keys(expected) as (keyof UsageRecord)[]) {
    assert.strictEqual(actual[field], expected[field], `field ${field}`);
  }
}

/** The UsageStore port's semantics; every storage adapter runs this suite (test/contract/storage.contract.test.ts). */
export function runUsageStoreContract(name: string, make: MakeStorage): void {
  describe(`UsageStore contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const usage = () => storage().usage;
    const ids = async (query: Parameters<ReturnType<typeof usage>['list']>[0]) => (await usage().list(query)).map((r) => r.id);

    describe('round trip', () => {
      it('returns every field as written, with its type, for a fully set record', async () => {
        const record = makeUsageRecord(FULL);
        await usage().insertMany([record]);
        assertSameFields((await usage().list({}))[0], record);
      });

      it('returns nulls as null and false as false', async () => {
        const record = makeUsageRecord(SPARSE);
        await usage().insertMany([record]);
        assertSameFields((await usage().list({}))[0], record);
      });

      it('returns a batch of mixed records whole', async () => {
        const full = makeUsageRecord(FULL);
        const sparse = makeUsageRecord(SPARSE);
        const plain = makeUsageRecord({ startedAt: '2025-06-29T00:00:00.000Z' });
        await usage().insertMany([sparse, plain, full]);
        assert.deepEqual(await usage().list({}), [full, sparse, plain]);
      });
    });

    describe('insertMany', () => {
      it('accepts an empty batch', async () => {
        await usage().insertMany([]);
        assert.deepEqual(await usage().list({}), []);
      });

      it('adds to what earlier batches wrote', async () => {
        const [a, b, c] = series(3);
        await usage().insertMany([a!]);
        await usage().insertMany([b!, c!]);
        assert.deepEqual(await ids({}), [c!.id, b!.id, a!.id]);
      });

      it('writes nothing when the batch repeats an id within itself', async () => {
        const [a, b] = series(2);
        await assert.rejects(usage().insertMany([a!, b!, { ...a!, startedAt: at(9) }]));
        assert.deepEqual(await usage().list({}), []);
      });

      it('writes nothing of a batch that repeats a stored id, and keeps what was stored', async () => {
        const [stored, fresh] = series(2);
        await usage().insertMany([stored!]);
        await assert.rejects(usage().insertMany([fresh!, { ...stored!, status: 500 }]));
        assert.deepEqual(await usage().list({}), [stored]);
      });

      it('writes nothing when a record has a startedAt that is not a time', async () => {
        const [good] = series(1);
        await assert.rejects(usage().insertMany([good!, makeUsageRecord({ startedAt: 'not a time' })]));
        assert.deepEqual(await usage().list({}), []);
      });
    });

    describe('list filters', () => {
      it('is empty on a new store', async () => {
        assert.deepEqual(await usage().list({}), []);
      });

      it('filters by requestId', async () => {
        const request = makeUsageRecord({ startedAt: at(0) });
        const attempt = makeUsageRecord({ requestId: request.requestId, kind: 'attempt', attempt: 1, startedAt: at(1) });
        await usage().insertMany([request, attempt, ...series(3)]);
        assert.deepEqual(await ids({ requestId: request.requestId }), [attempt.id, request.id]);
        assert.deepEqual(await ids({ requestId: 'no-such-request' }), []);
      });

      it('filters by keyId, never matching records without a key', async () => {
        const mine = series(2, { keyId: 'key-a' });
        await usage().insertMany([...mine, ...series(2, { keyId: 'key-b' }), ...series(2, { keyId: null })]);
        assert.deepEqual(await ids({ keyId: 'key-a' }), [mine[1]!.id, mine[0]!.id]);
        assert.deepEqual(await ids({ keyId: 'key-c' }), []);
      });

      it('filters by since, inclusive of a record at exactly that time', async () => {
        const records = series(5);
        await usage().insertMany(records);
        assert.deepEqual(await ids({ since: at(3) }), [records[4]!.id, records[3]!.id]);
        assert.deepEqual(await ids({ since: at(5) }), []);
      });

      it('compares since as a time, whatever the ISO form on either side', async () => {
        const exact = makeUsageRecord({ startedAt: '2025-01-01T00:00:00.000Z' });
        const later = makeUsageRecord({ startedAt: '2025-01-01T01:00:00.500+01:00' });
        const earlier = makeUsageRecord({ startedAt: '2024-12-31T23:59:59.999Z' });
        await usage().insertMany([exact, later, earlier]);
        assert.deepEqual(await ids({ since: '2025-01-01T00:00:00Z' }), [later.id, exact.id]);
        assert.deepEqual(await ids({ since: '2025-01-01T02:00:00.000+02:00' }), [later.id, exact.id]);
      });

      it('rejects a since that is not a time', async () => {
        await assert.rejects(usage().list({ since: 'last tuesday' }));
      });

      it('applies every given filter together', async () => {
        const target = makeUsageRecord({ keyId: 'key-a', startedAt: at(10) });
        await usage().insertMany([
          target,
          makeUsageRecord({ requestId: target.requestId, keyId: 'key-a', startedAt: at(1) }),
          makeUsageRecord({ requestId: target.requestId, keyId: 'key-b', startedAt: at(11) }),
          makeUsageRecord({ keyId: 'key-a', startedAt: at(12) }),
        ]);
        assert.deepEqual(await ids({ requestId: target.requestId, keyId: 'key-a', since: at(5) }), [target.id]);
      });
    });

    describe('list order and limit', () => {
      it('orders newest startedAt first, whatever the insertion order', async () => {
        const [a, b, c, d] = series(4);
        await usage().insertMany([c!, a!, d!, b!]);
        assert.deepEqual(await ids({}), [d!.id, c!.id, b!.id, a!.id]);
      });

      it('puts the later insert first when startedAt ties', async () => {
        const request = makeUsageRecord({ startedAt: at(0) });
        const first = makeUsageRecord({ requestId: request.requestId, kind: 'attempt', attempt: 1, startedAt: at(0) });
        const second = makeUsageRecord({ requestId: request.requestId, kind: 'attempt', attempt: 2, startedAt: at(0) });
        await usage().insertMany([request, first]);
        await usage().insertMany([second]);
        assert.deepEqual(await ids({}), [second.id, first.id, request.id]);
      });

      it('answers at most limit records, the newest', async () => {
        const records = series(5);
        await usage().insertMany(records);
        assert.deepEqual(await ids({ limit: 2 }), [records[4]!.id, records[3]!.id]);
        assert.deepEqual(await ids({ limit: 0 }), []);
      });

      it('answers 100 records when no limit is given', async () => {
        const records = series(101);
        await usage().insertMany(records);
        const listed = await usage().list({});
        assert.equal(listed.length, 100);
        assert.equal(listed.at(-1)?.id, records[1]!.id);
      });

      it('answers at most 1000 records whatever limit is asked', async () => {
        await usage().insertMany(series(1001));
        assert.equal((await usage().list({ limit: 5000 })).length, 1000);
      });
    });

    describe('isolation from callers', () => {
      it('is not changed by mutating the inserted objects or the returned ones', async () => {
        const record = makeUsageRecord();
        const written: Mutable<UsageRecord> = { ...record };
        await usage().insertMany([written]);
        written.status = 500;
        const [read] = (await usage().list({})) as Mutable<UsageRecord>[];
        read!.outputTokens = 0;
        assert.deepEqual(await usage().list({}), [record]);
      });
    });
  });
}
