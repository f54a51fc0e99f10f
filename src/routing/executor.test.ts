import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { PriceBook } from '../usage/price-book.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ProviderAdapter, UpstreamRequest, UpstreamResponse } from '../providers/provider-adapter.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { CallContext } from '../domain/call-context.ts';
import { UsageLedger } from '../usage/usage-ledger.ts';
import { Executor } from './executor.ts';
import { TargetCaller } from './target-call.ts';
import type { Plan } from '../domain/plan.ts';
import { resilienceSchema } from '../config/resilience-schemas.ts';
import { RetryBudget } from './retry-budget.ts';
import { testTarget } from '../../test/support/target-factory.ts';
import type { HealthRegistry } from '../health/health-registry.ts';
import { NO_ROUTE_TAGS } from '../domain/route-tags.ts';
import type { Decision } from './route-decision.ts';
import { testFacts } from '../../test/support/request-facts-factory.ts';
import { testPrincipal } from '../../test/support/principal-factory.ts';

const COMPLETION = JSON.stringify({ id: 'c', object: 'chat.completion', model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }], usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 } });

function adapter(name: string, answer: (req: UpstreamRequest) => UpstreamResponse | Error): ProviderAdapter & { calls: UpstreamRequest[] } {
  const calls: UpstreamRequest[] = [];
  return {
    name, kind: 'openai', format: 'openai', operations: new Set(['chat']), calls,
    async send(req) {
      calls.push(req);
      const result = answer(req);
      if (result instanceof Error) throw result;
      return result;
    },
    async listModels() { return undefined; },
    async close() {},
  };
}

const json = (status: number, body: string): UpstreamResponse => ({ status, headers: { 'content-type': 'application/json' }, body: Readable.from([Buffer.from(body)]) });

interface SetupOptions { readonly health?: HealthRegistry; readonly resilience?: Record<string, unknown>; readonly random?: () => number }

function setup(plan: Plan, providers: ProviderAdapter[], options: SetupOptions = {}) {
  const records: UsageRecord[] = [];
  const ledger = new UsageLedger(new PriceBook({ m: { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } }), [(r) => records.push(r)]);
  const caller = new TargetCaller({
    providers: new Map(providers.map((p) => [p.name, p])), ledger, defaultMaxTokens: 100,
    maxResponseBytes: 1024 * 1024, maxEventChars: 1024 * 1024, countTokens: async () => 0, health: options.health,
  });
  const resilience = resilienceSchema.parse(options.resilience ?? {});
  const budget = new RetryBudget(resilience.retryBudget);
  const route = (): Decision => ({ plan, model: plan.targets[0]?.modelKey ?? null, tags: NO_ROUTE_TAGS, overrideId: null, failure: undefined, explanation: undefined });
  const executor = new Executor({ route, caller, ledger, health: options.health, budget, resilience, random: options.random ?? (() => 0) });
  return { executor, records, budget };
}

const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const ctx = (): CallContext => ({
  requestId: 'req-1', principal: testPrincipal({ keyId: 'k1' }), endpoint: 'chat', callerFormat: 'openai',
  body, raw: Buffer.from(JSON.stringify(body)), model: 'm', stream: false, forwardHeaders: {}, facts: testFacts({ model: 'm' }),
  startedAt: performance.now(), deadlineAt: performance.now() + 60_000, startedMs: Date.now(), signal: new AbortController().signal,
});
const twoTargets: Plan = {
  modelRequested: 'm', reason: 'catalogue',
  targets: [testTarget({ provider: 'a', model: 'm' }), testTarget({ provider: 'b', model: 'm' })],
};

describe('Executor', () => {
  it('moves to the next target after a transport failure and records every attempt', async () => {
    const a = adapter('a', () => new GatewayError('SB_UPSTREAM_UNREACHABLE'));
    const b = adapter('b', () => json(200, COMPLETION));
    const { executor, records } = setup(twoTargets, [a, b]);
    const answer = await executor.execute(ctx());
    assert.equal(answer.kind, 'json');
    assert.equal(records.length, 1, 'only the failed attempt is recorded before the answer is sent');
    if (answer.kind === 'json') answer.settle?.();
    assert.deepEqual(records.map((r) => [r.kind, r.attempt, r.provider, r.outcome, r.errorCode]), [
      ['attempt', 1, 'a', 'error', 'SB_UPSTREAM_UNREACHABLE'],
      ['attempt', 2, 'b', 'ok', null],
      ['request', 0, 'b', 'ok', null],
    ]);
    assert.deepEqual(records.map((r) => [r.retries, r.fallbackChain]), [[0, []], [1, []], [1, ['a/m', 'b/m']]], 'the request names what it tried');
    const ok = records[1]!;
    assert.equal(ok.inputTokens, 5);
    assert.equal(ok.outputTokens, 2);
    assert.equal(ok.costUsd, 5 + 4, 'priced from the table');
  });

  it('moves on after a 5xx or 429, but not after a 4xx the caller caused', async () => {
    for (const [status, expectFallback] of [[500, true], [429, true], [400, false], [404, false]] as const) {
      const a = adapter('a', () => json(status, '{"error":{"message":"nope","type":"x"}}'));
      const b = adapter('b', () => json(200, COMPLETION));
      const { executor } = setup(twoTargets, [a, b]);
      if (expectFallback) {
        assert.equal((await executor.execute(ctx())).kind, 'json');
      } else {
        await assert.rejects(executor.execute(ctx()), (err: unknown) => err instanceof GatewayError && err.status === status && /nope/.test(err.message));
        assert.equal(b.calls.length, 0);
      }
    }
  });

  it('when every target fails, answers the last error and records the request as failed', async () => {
    const a = adapter('a', () => new GatewayError('SB_UPSTREAM_TIMEOUT'));
    const b = adapter('b', () => new GatewayError('SB_UPSTREAM_UNREACHABLE'));
    const { executor, records } = setup(twoTargets, [a, b]);
    await assert.rejects(executor.execute(ctx()), (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_UNREACHABLE');
    assert.deepEqual(records.map((r) => [r.kind, r.outcome, r.errorCode]), [
      ['attempt', 'error', 'SB_UPSTREAM_TIMEOUT'], ['attempt', 'error', 'SB_UPSTREAM_UNREACHABLE'], ['request', 'error', 'SB_UPSTREAM_UNREACHABLE'],
    ]);
    assert.deepEqual(records.at(-1)!.fallbackChain, ['a/m', 'b/m']);
    assert.equal(records.at(-1)!.retries, 1);
  });

  it('forwards the caller\'s bytes when nothing must change', async () => {
    const a = adapter('a', () => json(200, COMPLETION));
    const { executor } = setup({ ...twoTargets, targets: [twoTargets.targets[0]!] }, [a]);
    const c = ctx();
    await executor.execute(c);
    assert.equal(a.calls[0]!.body, c.raw);
  });

  it('turns a malformed upstream body into SB_UPSTREAM_BAD_RESPONSE', async () => {
    const a = adapter('a', () => json(200, '{"id": "c", "choices": ['));
    const { executor, records } = setup({ ...twoTargets, targets: [twoTargets.targets[0]!] }, [a]);
    await assert.rejects(executor.execute(ctx()), (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_BAD_RESPONSE');
    assert.equal(records.at(-1)!.errorCode, 'SB_UPSTREAM_BAD_RESPONSE');
    assert.deepEqual([records.at(-1)!.retries, records.at(-1)!.fallbackChain], [0, ['a/m']]);
  });

  it('retries the same target with backoff before falling back, each attempt its own record, and says so in headers', async () => {
    let n = 0;
    const a = adapter('a', () => (++n < 3 ? json(500, '{"error":{"message":"boom"}}') : json(200, COMPLETION)));
    const plan: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 2 })] };
    const { executor, records } = setup(plan, [a]);
    const answer = await executor.execute(ctx());
    assert.equal(answer.kind, 'json');
    assert.equal(answer.attempts, 3);
    assert.equal(answer.target, 'a/m');
    if (answer.kind === 'json') answer.settle();
    assert.deepEqual(records.map((r) => [r.kind, r.attempt, r.status]), [['attempt', 1, 500], ['attempt', 2, 500], ['attempt', 3, 200], ['request', 0, 200]]);
    assert.deepEqual(records.map((r) => r.retries), [0, 1, 2, 2]);
    assert.deepEqual(records.at(-1)!.fallbackChain, ['a/m', 'a/m', 'a/m'], 'a retry of the same target is in the chain too');
  });

  it('waits the Retry-After the upstream asks for, and falls back at once when it asks for too long', async () => {
    let n = 0;
    const retryAfter = (seconds: string): UpstreamResponse => ({ ...json(429, '{"error":{"message":"slow down"}}'), headers: { 'retry-after': seconds } });
    const a = adapter('a', () => (++n === 1 ? retryAfter('0.2') : json(200, COMPLETION)));
    const plan: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 1 })] };
    const started = performance.now();
    await setup(plan, [a]).executor.execute(ctx());
    assert.ok(performance.now() - started >= 190, 'waited for Retry-After');

    const slow = adapter('a', () => retryAfter('60'));
    const b = adapter('b', () => json(200, COMPLETION));
    const fallback: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 2 }), testTarget({ provider: 'b', model: 'm' })] };
    const t0 = performance.now();
    const answer = await setup(fallback, [slow, b]).executor.execute(ctx());
    assert.equal(answer.target, 'b/m');
    assert.equal(slow.calls.length, 1, 'a Retry-After over maxRetryAfterMs is not waited for');
    assert.ok(performance.now() - t0 < 150);
  });

  it('never waits past the request deadline', async () => {
    const a = adapter('a', () => ({ ...json(503, '{}'), headers: { 'retry-after': '2' } }));
    const plan: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 3 })] };
    const c = { ...ctx(), deadlineAt: performance.now() + 500 };
    await assert.rejects(setup(plan, [a]).executor.execute(c), (err: unknown) => err instanceof GatewayError && err.status === 503);
    assert.equal(a.calls.length, 1);
  });

  it('keeps retries within the budget while the upstream fails every request', async () => {
    const a = adapter('a', () => json(500, '{"error":{"message":"down"}}'));
    const plan: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 2 })] };
    const { executor } = setup(plan, [a], { resilience: { retryBudget: { percent: 20, minRetries: 3, windowMs: 60_000 } } });
    const requests = 200;
    for (let i = 0; i < requests; i++) await executor.execute(ctx()).catch(() => undefined);
    const retries = a.calls.length - requests;
    assert.ok(retries <= requests * 0.2 + 3, `${retries} retries for ${requests} requests`);
    assert.ok(retries >= requests * 0.2 - 1, `the budget is used: ${retries}`);
  });

  it('after "context length exceeded" goes to the next target with a larger window only', async () => {
    const tooLong = '{"error":{"message":"This model\'s maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded","param":"messages"}}';
    const small = adapter('small', () => json(400, tooLong));
    const same = adapter('same', () => json(200, COMPLETION));
    const large = adapter('large', () => json(200, COMPLETION));
    const plan: Plan = {
      ...twoTargets, targets: [
        testTarget({ provider: 'small', model: 'm', contextWindow: 8192, retries: 2 }), testTarget({ provider: 'same', model: 'm', contextWindow: 8192 }),
        testTarget({ provider: 'large', model: 'm', contextWindow: 128_000 }),
      ],
    };
    const answer = await setup(plan, [small, same, large]).executor.execute(ctx());
    assert.equal(answer.target, 'large/m');
    assert.deepEqual([small.calls.length, same.calls.length, large.calls.length], [1, 0, 1]);

    const alone = adapter('small', () => json(400, tooLong));
    await assert.rejects(setup({ ...plan, targets: [plan.targets[0]!] }, [alone]).executor.execute(ctx()),
      (err: unknown) => err instanceof GatewayError && err.status === 400 && err.upstream?.code === 'context_length_exceeded' && err.headers?.['x-switchboard-attempts'] === '1');
  });

  it('does not retry once the caller has left', async () => {
    const controller = new AbortController();
    const a = adapter('a', () => {
      controller.abort(new GatewayError('SB_CLIENT_DISCONNECTED'));
      return new GatewayError('SB_UPSTREAM_UNREACHABLE');
    });
    const plan: Plan = { ...twoTargets, targets: [testTarget({ provider: 'a', model: 'm', retries: 3 }), testTarget({ provider: 'b', model: 'm' })] };
    const b = adapter('b', () => json(200, COMPLETION));
    await assert.rejects(setup(plan, [a, b]).executor.execute({ ...ctx(), signal: controller.signal }));
    assert.deepEqual([a.calls.length, b.calls.length], [1, 0]);
  });
});
