import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../config/schema.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { CallContext } from '../../domain/call-context.ts';
import type { ResponsesTurn } from '../../domain/responses-turn.ts';
import { ModelCatalogue } from '../../routing/model-catalogue.ts';
import type { Target } from '../../domain/plan.ts';
import type { Operation, WireFormat } from '../provider-adapter.ts';
import { JSON_TOOL_NAME } from './openai-to-anthropic-request.ts';
import { buildUpstreamCall } from './upstream-call.ts';
import { testTarget } from '../../../test/support/target-factory.ts';

const NONE: ReadonlySet<string> = new Set();

function target(format: WireFormat, model: string, dropParams: ReadonlySet<string> = NONE, reasoning?: boolean): Target {
  return testTarget({ provider: format === 'openai' ? 'openai' : 'anthropic', model, format, dropParams, reasoning });
}

/** A chat call as the HTTP layer builds it: the parsed body and the same bytes. */
function context(callerFormat: WireFormat, body: Record<string, unknown>, stream = false): CallContext {
  return {
    endpoint: callerFormat === 'openai' ? 'chat' : 'messages', callerFormat, body, raw: Buffer.from(JSON.stringify(body)),
    model: String(body.model), stream,
  } as CallContext;
}

const CHAT = { model: 'gpt-4o', messages: [{ role: 'user', content: 'Hi' }], seed: 7, logit_bias: { 1: 2 } };
const MESSAGES = { model: 'claude-sonnet-4-5', max_tokens: 100, messages: [{ role: 'user', content: 'Hi' }], top_k: 5 };

function refusedAt(fn: () => unknown, param: string): void {
  assert.throws(fn, (err: unknown) => err instanceof GatewayError && err.code === 'SB_UNSUPPORTED_PARAMETER' && err.param === param);
}

describe('buildUpstreamCall: same format and dropParams', () => {
  it('forwards the caller\'s bytes untouched when no listed parameter is present', () => {
    const ctx = context('openai', CHAT);
    assert.equal(buildUpstreamCall(ctx, target('openai', 'gpt-4o'), 4096).body, ctx.raw);
    assert.equal(buildUpstreamCall(ctx, target('openai', 'gpt-4o', new Set(['top_k', 'cache_control'])), 4096).body, ctx.raw);
  });

  it('drops listed top-level parameters and re-serialises the rest', () => {
    const ctx = context('openai', CHAT);
    const call = buildUpstreamCall(ctx, target('openai', 'gpt-4o', new Set(['seed', 'logit_bias'])), 4096);
    assert.deepEqual(JSON.parse(String(call.body)), { model: 'gpt-4o', messages: CHAT.messages });
    assert.equal(ctx.body.seed, 7);
  });

  it('combines the drop with the model rewrite and the forced usage chunk', () => {
    const ctx = context('openai', { ...CHAT, stream: true }, true);
    const call = buildUpstreamCall(ctx, target('openai', 'gpt-4o-2024-08-06', new Set(['seed'])), 4096);
    assert.deepEqual(JSON.parse(String(call.body)), { model: 'gpt-4o-2024-08-06', messages: CHAT.messages, logit_bias: { 1: 2 }, stream: true, stream_options: { include_usage: true } });
    assert.equal(call.dropUsageChunk, true);
  });

  it('drops on the Anthropic same-format path too', () => {
    const ctx = context('anthropic', MESSAGES);
    const call = buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5', new Set(['top_k'])), 4096);
    assert.deepEqual(JSON.parse(String(call.body)), { model: 'claude-sonnet-4-5', max_tokens: 100, messages: MESSAGES.messages });
  });
});

describe('buildUpstreamCall: translation gets the target\'s dropParams and reasoning', () => {
  it('OpenAI caller → Anthropic: refuses, naming the provider, or drops when listed', () => {
    const ctx = context('openai', CHAT);
    assert.throws(() => buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5'), 4096), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.param, 'logit_bias');
      assert.match(err.message, /provider "anthropic"/);
      return true;
    });
    const call = buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5', new Set(['seed', 'logit_bias'])), 4096);
    assert.deepEqual(Object.keys(JSON.parse(String(call.body))).sort(), ['max_tokens', 'messages', 'model']);
  });

  it('OpenAI caller → Anthropic: no JSON tool to unwrap when response_format is dropped', () => {
    const ctx = context('openai', { model: 'gpt-4o', messages: CHAT.messages, response_format: { type: 'json_object' } });
    assert.equal(buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5'), 4096).jsonToolName, JSON_TOOL_NAME);
    assert.equal(buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5', new Set(['response_format'])), 4096).jsonToolName, undefined);
  });

  it('Anthropic caller → OpenAI: refuses or drops top_k, and maps thinking as the target\'s reasoning says', () => {
    refusedAt(() => buildUpstreamCall(context('anthropic', MESSAGES), target('openai', 'gpt-4.1'), 4096), 'top_k');
    const thinking = context('anthropic', { ...MESSAGES, thinking: { type: 'enabled', budget_tokens: 12000 } });
    refusedAt(() => buildUpstreamCall(thinking, target('openai', 'gpt-4.1', new Set(['top_k'])), 4096), 'thinking');
    const call = buildUpstreamCall(thinking, target('openai', 'gpt-4.1', new Set(['top_k']), true), 4096);
    assert.equal(JSON.parse(String(call.body)).reasoning_effort, 'high');
  });
});

describe('buildUpstreamCall: dropParams and reasoning from the config', () => {
  const config = configSchema.parse({
    providers: [{ name: 'openai', type: 'openai', dropParams: ['top_k'] }],
    models: [
      { name: 'plain', provider: 'openai', model: 'gpt-4.1' },
      { name: 'thinker', provider: 'openai', model: 'my-finetune', reasoning: true, dropParams: ['cache_control'] },
    ],
  });
  const catalogue = new ModelCatalogue(config, new Map<string, WireFormat>([['openai', 'openai']]));
  const resolved = (model: string): Target => catalogue.resolve(model).targets[0]!;

  it('gives a model entry its provider\'s list plus its own, and its reasoning flag', () => {
    assert.deepEqual([...resolved('plain').dropParams], ['top_k']);
    assert.deepEqual([...resolved('thinker').dropParams].sort(), ['cache_control', 'top_k']);
    assert.equal(resolved('thinker').reasoning, true);
    assert.equal(resolved('plain').reasoning, undefined);
    assert.deepEqual([...resolved('openai/gpt-4o').dropParams], ['top_k']);
  });

  it('applies them end to end', () => {
    const body = { ...MESSAGES, thinking: { type: 'enabled', budget_tokens: 2048 }, system: [{ type: 'text', text: 'S', cache_control: { type: 'ephemeral' } }] };
    refusedAt(() => buildUpstreamCall(context('anthropic', body), resolved('plain'), 4096), 'system.0.cache_control');
    const out = JSON.parse(String(buildUpstreamCall(context('anthropic', body), resolved('thinker'), 4096).body));
    assert.equal(out.reasoning_effort, 'low');
    assert.equal('top_k' in out, false);
    assert.deepEqual(out.messages[0], { role: 'system', content: 'S' });
  });
});

describe('buildUpstreamCall: a Responses API call', () => {
  const RESPONSES: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings', 'responses']);
  const CHAT_ONLY: ReadonlySet<Operation> = new Set<Operation>(['chat', 'embeddings']);
  const user = (text: string) => ({ type: 'message', role: 'user', content: [{ type: 'input_text', text }] });

  /** As the route builds it: the chat the request translates to, and the turn with the caller's own body. */
  function responsesContext(body: Record<string, unknown>, turn: Partial<ResponsesTurn> = {}): CallContext {
    const chat = { model: String(body.model), messages: [{ role: 'user', content: 'Hi' }] };
    const responses: ResponsesTurn = {
      id: 'resp_1', createdAt: 1, echo: {}, body, raw: Buffer.from(JSON.stringify(body)), history: [], input: [user('Hi')],
      resolvedFromStore: false, untranslatable: undefined, ...turn,
    };
    return { endpoint: 'responses', callerFormat: 'openai', body: chat, raw: Buffer.from(JSON.stringify(chat)), model: String(body.model), stream: false, responses } as unknown as CallContext;
  }

  it('sends a request the chat cannot carry (a built-in tool) as it came to an upstream that speaks the API, and refuses it for any other', () => {
    const body = { model: 'gpt-4o-mini', input: 'Hi', tools: [{ type: 'web_search' }] };
    const refusal = new GatewayError('SB_UNSUPPORTED_PARAMETER', { param: 'tools[0].type', message: 'tools[0].type: runs inside OpenAI' });
    const ctx = responsesContext(body, { untranslatable: refusal });
    const call = buildUpstreamCall(ctx, target('openai', 'gpt-4o-mini'), 4096, RESPONSES);
    assert.equal(call.responses, 'native');
    assert.equal(call.body, ctx.responses!.raw);
    assert.throws(() => buildUpstreamCall(ctx, target('openai', 'llama-3.3-70b'), 4096, CHAT_ONLY), (err: unknown) => err === refusal);
    assert.throws(() => buildUpstreamCall(ctx, target('anthropic', 'claude-sonnet-4-5'), 4096), (err: unknown) => err === refusal);
    assert.equal(buildUpstreamCall(responsesContext(body), target('openai', 'llama-3.3-70b'), 4096, CHAT_ONLY).responses, 'from-chat');
  });

  it('sends the items of item_references to the gateway\'s own ids in their place: the upstream never saw those ids', () => {
    const stored = { id: 'msg_0123', type: 'message', role: 'assistant', status: 'completed', content: [{ type: 'output_text', text: 'Hello!', annotations: [] }] };
    const body = { model: 'gpt-4o-mini', input: [user('Hi'), { type: 'item_reference', id: 'msg_0123' }, user('Again')] };
    const input = [user('Hi'), stored, user('Again')];
    const call = buildUpstreamCall(responsesContext(body, { input, resolvedFromStore: true }), target('openai', 'gpt-4o-mini'), 4096, RESPONSES);
    assert.deepEqual(JSON.parse(String(call.body)), { model: 'gpt-4o-mini', input });
    const asItCame = responsesContext(body, { input: body.input });
    assert.equal(buildUpstreamCall(asItCame, target('openai', 'gpt-4o-mini'), 4096, RESPONSES).body, asItCame.responses!.raw, 'a reference the gateway did not resolve is OpenAI\'s to resolve');
  });
});

describe('buildUpstreamCall: a Responses API call refused by a chat target', () => {
  /** A Responses call whose chat (as responsesToChatRequest makes it) carries `fields`. */
  function responsesContext(fields: Record<string, unknown>): CallContext {
    const chat = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], ...fields };
    const body = { model: 'claude-sonnet-4-5', input: 'Hi' };
    const responses = { id: 'resp_1', createdAt: 1, echo: {}, body, raw: Buffer.from(JSON.stringify(body)), history: [], input: [], resolvedFromStore: false, untranslatable: undefined };
    return { endpoint: 'responses', callerFormat: 'openai', body: chat, raw: Buffer.from(JSON.stringify(chat)), model: 'claude-sonnet-4-5', stream: false, responses } as unknown as CallContext;
  }
  const refused = (fields: Record<string, unknown>, param: string, message: RegExp): void => {
    assert.throws(() => buildUpstreamCall(responsesContext(fields), target('anthropic', 'claude-sonnet-4-5'), 4096), (err: unknown) => {
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'SB_UNSUPPORTED_PARAMETER');
      assert.equal(err.param, param);
      assert.match(err.message, message);
      return true;
    });
  };

  it('names the field the caller sent, not the chat field it became; dropParams still takes the chat name', () => {
    refused({ verbosity: 'low' }, 'text.verbosity', /^text\.verbosity: Anthropic has no verbosity setting.* list "verbosity" in dropParams/);
    refused({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'array' } } } }, 'text.format.schema', /^text\.format\.schema: /);
    refused({ service_tier: 'flex' }, 'service_tier', /^service_tier: /);
  });

  it('leaves the chat caller\'s refusals as they were', () => {
    const chatOnly = { model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: 'Hi' }], verbosity: 'low' };
    refusedAt(() => buildUpstreamCall(context('openai', chatOnly), target('anthropic', 'claude-sonnet-4-5'), 4096), 'verbosity');
  });
});
