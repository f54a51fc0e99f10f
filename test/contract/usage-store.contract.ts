import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UsageRecord } from '../../src/domain/usage-record.ts';
import type { Feedback, VariantStats } from '../../src/storage/ports.ts';
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
  reasoningTokens: 64,
  retries: 2,
  fallbackChain: ['anthropic/claude-sonnet-4-20250514', 'anthropic/claude-sonnet-4-20250514', 'bedrock/claude "sonnet", eu'],
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
  reasoningTokens: 0,
  retries: 0,
  fallbackChain: [],
};

/** A request record of experiment `experimentId`, variant `variant`. */
function inExperiment(experimentId: string, variant: string | null, overrides: Partial<UsageRecord> = {}): UsageRecord {
  return makeUsageRecord({ experimentId, variant, ruleId: 'rule-exp', workspaceId: 'ws-1', ...overrides });
}

function feedback(experimentId: string, requestId: string, score: number, overrides: Partial<Feedback> = {}): Feedback {
  return { experimentId, requestId, score, comment: null, at: at(100), ...overrides };
}

const NO_FEEDBACK = { feedbackCount: 0, feedbackSum: 0, feedbackSumSq: 0 } as const;

/**
 * A small known experiment: every latency, cost and score is a sum of powers of two, so the sums and sums of
 * squares are exact in any order of addition.
 */
function knownExperiment() {
  const control = [
    inExperiment('exp-a', 'control', { startedAt: at(0), outcome: 'ok', latencyMs: 10, costUsd: 0.5, inputTokens: 10, outputTokens: 20, cachedInputTokens: 2 }),
    inExperiment('exp-a', 'control', { startedAt: at(1), outcome: 'error', status: 502, errorCode: 'SB_UPSTREAM_ERROR', latencyMs: 20.5, costUsd: 0.25, inputTokens: 1, outputTokens: 0 }),
    inExperiment('exp-a', 'control', { startedAt: at(2), outcome: 'client_aborted', latencyMs: 1.25, costUsd: 0, inputTokens: 0, outputTokens: 0 }),
  ] as const;
  const treatment = [
    inExperiment('exp-a', 'treatment', { startedAt: at(3), latencyMs: 100, costUsd: 2, inputTokens: 100, outputTokens: 50, cachedInputTokens: 50 }),
    // Cache writes are not part of the tokens sum.
    inExperiment('exp-a', 'treatment', { startedAt: at(4), latencyMs: 0.5, costUsd: 1.5, inputTokens: 3, outputTokens: 4, cacheWriteTokens: 1000 }),
  ] as const;
  const big = { outcome: 'ok', latencyMs: 1e6, costUsd: 1e3, inputTokens: 1e6 } as const;
  const noise = [
    // An attempt of a control request: the same request id, experiment and variant, but not a request record.
    inExperiment('exp-a', 'control', { ...big, requestId: control[0].requestId, kind: 'attempt', attempt: 1, startedAt: at(0) }),
    inExperiment('exp-b', 'control', { ...big, startedAt: at(1) }),
    inExperiment('exp-a', null, { ...big, startedAt: at(2) }),
    makeUsageRecord({ ...big, startedAt: at(3) }),
  ];
  const controlStats: VariantStats = {
    variant: 'control', requests: 3, successes: 1,
    latencySum: 31.75, latencySumSq: 100 + 420.25 + 1.5625,
    costSum: 0.75, costSumSq: 0.25 + 0.0625,
    tokensSum: 33, tokensSumSq: 32 * 32 + 1,
    ...NO_FEEDBACK,
  };
  const treatmentStats: VariantStats = {
    variant: 'treatment', requests: 2, successes: 2,
    latencySum: 100.5, latencySumSq: 10000.25,
    costSum: 3.5, costSumSq: 6.25,
    tokensSum: 207, tokensSumSq: 200 * 200 + 7 * 7,
    ...NO_FEEDBACK,
  };
  // Inserted treatment first and mixed with the noise, so the answer's order is the store's own.
  return { control, treatment, records: [...treatment, noise[0]!, ...control, ...noise.slice(1)], controlStats, treatmentStats };
}

function assertSameFields(actual: UsageRecord | undefined, expected: UsageRecord): void {
  assert.ok(actual, `record ${expected.id} is missing`);
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort());
  for (const field of Object.keys(expected) as (keyof UsageRecord)[]) {
    // The one list field is compared by content; every other field must be the same value and type.
    if (Array.isArray(expected[field])) assert.deepStrictEqual(actual[field], expected[field], `field ${field}`);
    else assert.strictEqual(actual[field], expected[field], `field ${field}`);
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

    describe('route tags', () => {
      it('keeps each of the six tags in its own field, some set and the rest null', async () => {
        const routed = makeUsageRecord({ workspaceId: 'ws-7', agentType: null, userId: 'user-7', ruleId: null, experimentId: null, variant: 'solo' });
        const untagged = makeUsageRecord({ startedAt: '2024-12-31T00:00:00.000Z' });
        await usage().insertMany([routed, untagged]);
        const [first, second] = await usage().list({});
        assertSameFields(first, routed);
        assertSameFields(second, untagged);
        assert.deepEqual(
          [second!.workspaceId, second!.agentType, second!.userId, second!.ruleId, second!.experimentId, second!.variant],
          [null, null, null, null, null, null],
        );
      });
    });

    describe('variantStats', () => {
      it('is empty on a new store and for an experiment with no records', async () => {
        assert.deepEqual(await usage().variantStats('exp-a'), []);
        await usage().insertMany(knownExperiment().records);
        assert.deepEqual(await usage().variantStats('no-such-experiment'), []);
        assert.deepEqual(await usage().variantStats('no-such-experiment', at(0)), []);
      });

      it('aggregates only the request records of the experiment, per variant sorted by name, with exact sums', async () => {
        const { records, controlStats, treatmentStats } = knownExperiment();
        await usage().insertMany(records);
        assert.deepEqual(await usage().variantStats('exp-a'), [controlStats, treatmentStats]);
      });

      it('counts outcome "ok" only as a success', async () => {
        await usage().insertMany([
          inExperiment('exp-a', 'v', { outcome: 'ok', status: 200 }),
          inExperiment('exp-a', 'v', { outcome: 'error', status: 200 }),
          inExperiment('exp-a', 'v', { outcome: 'client_aborted', status: 200 }),
          inExperiment('exp-a', 'v', { outcome: 'ok', status: 200 }),
        ]);
        const [stats] = await usage().variantStats('exp-a');
        assert.equal(stats?.requests, 4);
        assert.equal(stats?.successes, 2);
      });

      it('answers zero sums, not null, for a variant whose records are all zero', async () => {
        const zero = inExperiment('exp-a', 'v', { latencyMs: 0, costUsd: 0, inputTokens: 0, outputTokens: 0, outcome: 'error' });
        await usage().insertMany([zero]);
        assert.deepEqual(await usage().variantStats('exp-a'), [{
          variant: 'v', requests: 1, successes: 0, latencySum: 0, latencySumSq: 0, costSum: 0, costSumSq: 0, tokensSum: 0, tokensSumSq: 0, ...NO_FEEDBACK,
        }]);
      });

      it('honours since, inclusive and compared as a time whatever its ISO form', async () => {
        const { records, treatmentStats } = knownExperiment();
        await usage().insertMany(records);
        assert.deepEqual(await usage().variantStats('exp-a', at(3)), [treatmentStats]);
        // at(3) written with an offset.
        assert.deepEqual(await usage().variantStats('exp-a', '2025-01-01T02:00:03+02:00'), [treatmentStats]);
        const [later] = await usage().variantStats('exp-a', at(4));
        assert.equal(later?.requests, 1);
        assert.deepEqual(await usage().variantStats('exp-a', at(5)), []);
      });

      it('rejects a since that is not a time', async () => {
        await assert.rejects(usage().variantStats('exp-a', 'last tuesday'));
      });

      it('sorts variants by code point, whatever the database locale', async () => {
        const names = ['b', 'é', 'a', 'B', 'a-2', 'z', '10', '9'];
        await usage().insertMany(names.map((name) => inExperiment('exp-a', name)));
        assert.deepEqual((await usage().variantStats('exp-a')).map((s) => s.variant), ['10', '9', 'B', 'a', 'a-2', 'b', 'z', 'é']);
      });
    });

    describe('putFeedback', () => {
      it('joins feedback by request id, the latest score per request, ignoring other experiments and unrecorded requests', async () => {
        const { control, treatment, records, controlStats, treatmentStats } = knownExperiment();
        await usage().insertMany(records);
        await usage().putFeedback(feedback('exp-a', control[0].requestId, 4, { comment: 'great' }));
        await usage().putFeedback(feedback('exp-a', control[0].requestId, 2, { comment: null, at: at(101) }));
        await usage().putFeedback(feedback('exp-a', control[1].requestId, 0.5));
        await usage().putFeedback(feedback('exp-a', treatment[0].requestId, 5));
        await usage().putFeedback(feedback('exp-a', 'not-recorded-yet', 100));
        await usage().putFeedback(feedback('exp-b', control[2].requestId, 100));
        assert.deepEqual(await usage().variantStats('exp-a'), [
          { ...controlStats, feedbackCount: 2, feedbackSum: 2.5, feedbackSumSq: 4.25 },
          { ...treatmentStats, feedbackCount: 1, feedbackSum: 5, feedbackSumSq: 25 },
        ]);
      });

      it('is idempotent: the same feedback twice counts once', async () => {
        const record = inExperiment('exp-a', 'v');
        await usage().insertMany([record]);
        await usage().putFeedback(feedback('exp-a', record.requestId, -1.5, { comment: 'too long' }));
        await usage().putFeedback(feedback('exp-a', record.requestId, -1.5, { comment: 'too long' }));
        const [stats] = await usage().variantStats('exp-a');
        assert.deepEqual([stats?.feedbackCount, stats?.feedbackSum, stats?.feedbackSumSq], [1, -1.5, 2.25]);
      });

      it('counts feedback given before its request was recorded once the record arrives', async () => {
        const record = inExperiment('exp-a', 'v');
        await usage().putFeedback(feedback('exp-a', record.requestId, 3));
        assert.deepEqual(await usage().variantStats('exp-a'), []);
        await usage().insertMany([record]);
        const [stats] = await usage().variantStats('exp-a');
        assert.deepEqual([stats?.feedbackCount, stats?.feedbackSum, stats?.feedbackSumSq], [1, 3, 9]);
      });

      it('keeps the same request id apart across experiments', async () => {
        const a = inExperiment('exp-a', 'v');
        const b = inExperiment('exp-b', 'v', { requestId: a.requestId, startedAt: at(1) });
        await usage().insertMany([a, b]);
        await usage().putFeedback(feedback('exp-a', a.requestId, 1));
        await usage().putFeedback(feedback('exp-b', a.requestId, 0));
        const [statsA] = await usage().variantStats('exp-a');
        const [statsB] = await usage().variantStats('exp-b');
        assert.deepEqual([statsA?.feedbackCount, statsA?.feedbackSum], [1, 1]);
        assert.deepEqual([statsB?.feedbackCount, statsB?.feedbackSum], [1, 0]);
      });

      it('rejects a score that is not a finite number or an at that is not a time, storing nothing', async () => {
        const record = inExperiment('exp-a', 'v');
        await usage().insertMany([record]);
        for (const score of [Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(usage().putFeedback(feedback('exp-a', record.requestId, score)));
        }
        await assert.rejects(usage().putFeedback(feedback('exp-a', record.requestId, 1, { at: 'yesterday' })));
        const [stats] = await usage().variantStats('exp-a');
        assert.deepEqual([stats?.feedbackCount, stats?.feedbackSum], [0, 0]);
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

      it('keeps the first of a batch\'s repeated id and writes the rest (deliveries are at least once)', async () => {
        const [a, b] = series(2);
        await usage().insertMany([a!, b!, { ...a!, startedAt: at(9) }]);
        assert.deepEqual((await usage().list({})).map((r) => r.id).sort(), [a!.id, b!.id].sort());
        assert.equal((await usage().list({ requestId: a!.requestId }))[0]?.startedAt, a!.startedAt);
      });

      it('leaves a stored record as it is when it comes again, and writes the rest of the batch', async () => {
        const [stored, fresh] = series(2);
        await usage().insertMany([stored!]);
        await usage().insertMany([fresh!, { ...stored!, status: 500 }]);
        assert.deepEqual(await usage().list({}), [fresh, stored]);
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

    describe('a request answered by its first attempt (recorded back to back, as the executor does)', () => {
      /** An attempt and the request it answered, with the attempt's own id, latency and time to first byte. */
      function pair(startedAt: string, overrides: Partial<UsageRecord> = {}): [UsageRecord, UsageRecord] {
        const request = makeUsageRecord({ startedAt, ...overrides });
        const attempt: UsageRecord = { ...request, id: `${request.id}-a`, kind: 'attempt', attempt: 1, latencyMs: 12.5, ttftMs: 4.25, retries: 0, fallbackChain: [] };
        return [attempt, request];
      }
      const scanned = async (query: Parameters<ReturnType<typeof usage>['scan']>[0]): Promise<UsageRecord[][]> => {
        const pages: UsageRecord[][] = [];
        for await (const page of usage().scan(query)) pages.push(page);
        return pages;
      };
      const ALL = { since: at(-10), until: at(100) };

      it('gives both records back, every field as written, newest first and the later insert first on a tie', async () => {
        const [before] = series(1);
        const [attempt, request] = pair(at(5), { workspaceId: 'ws-1', costUsd: 0.25, ttftMs: null });
        const after = makeUsageRecord({ startedAt: at(5) });
        await usage().insertMany([before!, attempt, request, after]);
        assert.deepEqual(await ids({}), [after.id, request.id, attempt.id, before!.id]);
        const listed = await usage().list({});
        assertSameFields(listed[1], request);
        assertSameFields(listed[2], attempt);
        assert.deepEqual(await ids({ kind: 'attempt' }), [attempt.id]);
        assert.deepEqual(await ids({ kind: 'request' }), [after.id, request.id, before!.id]);
        assert.deepEqual(await ids({ requestId: request.requestId }), [request.id, attempt.id]);
        assert.deepEqual(await ids({ workspaceId: 'ws-1', limit: 1 }), [request.id]);
        assert.deepEqual(await ids({ since: at(5), kind: 'attempt' }), [attempt.id]);
      });

      it('scans them oldest first in pages of pageSize records', async () => {
        const records = [...pair(at(1)), ...pair(at(2)), makeUsageRecord({ startedAt: at(3) }), ...pair(at(4))];
        await usage().insertMany(records);
        const pages = await scanned({ ...ALL, pageSize: 2 });
        assert.deepEqual(pages.map((p) => p.length), [2, 2, 2, 1]);
        assert.deepEqual(pages.flat().map((r) => r.id), records.map((r) => r.id));
        assert.deepEqual((await scanned({ ...ALL, kind: 'attempt' })).flat().map((r) => r.id), [records[0]!.id, records[2]!.id, records[5]!.id]);
        assert.deepEqual((await scanned({ ...ALL, kind: 'request', pageSize: 3 })).map((p) => p.map((r) => r.id)), [[records[1]!.id, records[3]!.id, records[4]!.id], [records[6]!.id]]);
      });

      it('stores each record once however deliveries cut the pair (split, then together; together, then split or again)', async () => {
        const [a1, r1] = pair(at(1));
        const [a2, r2] = pair(at(2));
        const [a3, r3] = pair(at(3));
        await usage().insertMany([a1]);
        await usage().insertMany([r1, a2, r2, a3]);
        await usage().insertMany([a1, r1, a2]);
        await usage().insertMany([r2, a3, r3]);
        await usage().insertMany([a3, r3, a2, r2]);
        assert.deepEqual((await usage().list({})).map((r) => r.id).sort(), [a1, r1, a2, r2, a3, r3].map((r) => r.id).sort());
        assert.equal((await scanned(ALL)).flat().length, 6);
      });

      it('stores a first delivery (the writer vouches none was handed before) the same, and a later copy once', async () => {
        const [attempt, request] = pair(at(1));
        const lone = makeUsageRecord({ startedAt: at(2), kind: 'attempt', attempt: 2, retries: 1, fallbackChain: [] });
        await usage().insertMany([attempt, request, lone], { firstDelivery: true });
        await usage().insertMany([attempt, request, lone]);
        assert.deepEqual(await ids({}), [lone.id, request.id, attempt.id]);
        assertSameFields((await usage().list({ kind: 'attempt', limit: 1, since: at(1) })).at(-1), lone);
      });

      it('keeps an attempt that differs from its request (another start, a fallback) as its own record', async () => {
        const [attempt, request] = pair(at(1));
        const later = { ...attempt, startedAt: at(2) };
        const fallback = { ...request, id: `${request.id}-r`, retries: 1, fallbackChain: ['a/m', 'b/m'] };
        await usage().insertMany([later, request, attempt, fallback]);
        assert.deepEqual((await usage().list({ kind: 'attempt' })).map((r) => [r.id, r.startedAt]), [[attempt.id, later.startedAt]]);
        assert.deepEqual(await ids({ kind: 'request' }), [fallback.id, request.id]);
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
