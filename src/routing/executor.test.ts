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

function setup(plan: Plan, providers: ProviderAdapter[]) {
  const records: UsageRecord[] = [];
  const ledger = new UsageLedger(new PriceBook({ m: { inputPerMTok: 1_000_000, outputPerMTok: 2_000_000 } }), [(r) => records.push(r)]);
  const caller = new TargetCaller({
    providers: new Map(providers.map((p) => [p.name, p])), ledger, defaultMaxTokens: 100,
    maxResponseBytes: 1024 * 1024, maxEventChars: 1024 * 1024, countTokens: async () => 0,
  });
  const executor = new Executor({ catalogue: { resolve: () => plan } as any, caller, ledger });
  return { executor, records };
}

const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const ctx = (): CallContext => ({
  requestId: 'req-1', principal: { keyId: 'k1', role: 'inference', models: null }, endpoint: 'chat', callerFormat: 'openai',
  body, raw: Buffer.from(JSON.stringify(body)), model: 'm', stream: false, forwardHeaders: {},
  startedAt: performance.now(), startedMs: Date.now(), signal: new AbortController().signal,
});
const twoTargets: Plan = {
  modelRequested: 'm', reason: 'catalogue',
  targets: [{ provider: 'a', model: 'm', format: 'openai', pricing: undefined, dropParams: new Set<string>(), reasoning: undefined }, { provider: 'b', model: 'm', format: 'openai', pricing: undefined, dropParams: new Set<string>(), reasoning: undefined }],
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
  });
});
