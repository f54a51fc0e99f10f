// Switchboard in front of an Anthropic upstream replaying recorded wire traffic: pass-through for Anthropic
// callers, translation for OpenAI callers (the path most gateways get wrong), and Azure OpenAI's URL scheme.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { startReplayServer, type ReplayServer } from '../support/replay-server.ts';
import { ADMIN_KEY, startGateway, type TestGateway, SINGLE_ATTEMPT } from '../support/start-gateway.ts';
import { usageFor } from '../support/usage-for.ts';

const PROVIDER_KEY = 'sk-ant-provider-secret-123';
type Body = Readonly<Record<string, unknown>>;
const plain = (b: Body): boolean => b.stream !== true;
const streamed = (b: Body): boolean => b.stream === true;
const hasTools = (b: Body): boolean => Array.isArray(b.tools) && b.tools.length > 0;
const thinking = (b: Body): boolean => b.thinking !== undefined;

describe('Anthropic upstream (recorded traffic)', () => {
  let upstream: ReplayServer;
  let gw: TestGateway;
  let oai: OpenAI;
  let ant: Anthropic;

  before(async () => {
    upstream = await startReplayServer([
      { method: 'POST', path: '/v1/messages/count_tokens', fixture: 'anthropic/count-tokens.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'claude-overloaded', fixture: 'anthropic/error-529-overloaded.json' },
      { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'claude-stream-error', fixture: 'anthropic/messages-stream-error.sse' },
      { method: 'POST', path: '/v1/messages', when: (b) => streamed(b) && thinking(b), fixture: 'anthropic/messages-stream-thinking.sse' },
      { method: 'POST', path: '/v1/messages', when: (b) => streamed(b) && hasTools(b), fixture: 'anthropic/messages-stream-tools.sse' },
      { method: 'POST', path: '/v1/messages', when: streamed, fixture: 'anthropic/messages-stream.sse' },
      { method: 'POST', path: '/v1/messages', when: (b) => plain(b) && hasTools(b), fixture: 'anthropic/messages-tools-parallel.json' },
      { method: 'POST', path: '/v1/messages', when: plain, fixture: 'anthropic/messages-basic.json' },
    ]);
    gw = await startGateway({ env: { ANTHROPIC_API_KEY: PROVIDER_KEY, ANTHROPIC_BASE_URL: upstream.url }, config: { resilience: SINGLE_ATTEMPT } });
    oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
    ant = new Anthropic({ baseURL: gw.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  afterEach(() => { upstream.requests.length = 0; });
  after(async () => { await gw.close(); await upstream.close(); });

  it('passes an Anthropic caller through with the provider key and the caller\'s anthropic-version', async () => {
    const msg = await ant.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 100, messages: [{ role: 'user', content: 'Hello!' }] });
    assert.equal(msg.type, 'message');
    const sent = upstream.requests[0]!;
    assert.equal(sent.path, '/v1/messages');
    assert.equal(sent.headers['x-api-key'], PROVIDER_KEY);
    assert.equal(sent.headers.authorization, undefined, 'the caller\'s key never goes upstream');
    assert.equal(sent.headers['anthropic-version'], '2026-10-21', 'the SDK\'s own API version is forwarded on pass-through');
  });

  it('streams thinking, text and tool blocks to an Anthropic caller and records usage', async () => {
    const stream = ant.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 2000, thinking: { type: 'enabled', budget_tokens: 1024 }, messages: [{ role: 'user', content: 'think' }] } as Anthropic.MessageStreamParams);
    const final = await stream.finalMessage();
    assert.deepEqual(final.content.map((b) => b.type), ['thinking', 'text']);
    const id = (await stream.withResponse()).response.headers.get('request-id');
    const records = await usageFor(gw, id!);
    const req = records.find((r) => r.kind === 'request')!;
    assert.equal(req.outputTokens, final.usage.output_tokens);
    assert.equal(req.inputTokens, final.usage.input_tokens);

    const tools = await ant.messages.stream({ model: 'claude-sonnet-4-6', max_tokens: 100, tools: [{ name: 'get_weather', input_schema: { type: 'object' } }, { name: 'get_time', input_schema: { type: 'object' } }], messages: [{ role: 'user', content: 'x' }] }).finalMessage();
    assert.equal(tools.content.filter((b) => b.type === 'tool_use').length, 2);
  });

  it('forwards count_tokens to Anthropic', async () => {
    const count = await ant.messages.countTokens({ model: 'claude-sonnet-4-6', messages: [{ role: 'user', content: 'Hello!' }] });
    assert.ok(count.input_tokens > 0);
    assert.equal(upstream.requests[0]!.path, '/v1/messages/count_tokens');
  });

  it('translates for an OpenAI caller: completion, parallel tools, usage with prompt+completion=total', async () => {
    const res = await oai.chat.completions.create({ model: 'claude-sonnet-4-6', messages: [{ role: 'system', content: 'Be nice.' }, { role: 'user', content: 'Hello!' }] });
    assert.equal(res.object, 'chat.completion');
    assert.equal(res.choices[0]!.finish_reason, 'stop');
    assert.equal(res.usage!.total_tokens, res.usage!.prompt_tokens + res.usage!.completion_tokens);
    const sent = JSON.parse(upstream.requests[0]!.body) as { system?: unknown; max_tokens?: number; messages: unknown[] };
    assert.ok(sent.system !== undefined, 'system message hoisted');
    assert.equal(sent.max_tokens, 4096, 'default max_tokens supplied');
    assert.equal(upstream.requests[0]!.headers['anthropic-version'], '2023-06-01');

    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'get_time', parameters: { type: 'object' } } }];
    const withTools = await oai.chat.completions.create({ model: 'claude-sonnet-4-6', tools, messages: [{ role: 'user', content: 'x' }] });
    assert.equal(withTools.choices[0]!.finish_reason, 'tool_calls');
    assert.equal(withTools.choices[0]!.message.tool_calls!.length, 2);
  });

  it('translates a stream with tool calls for an OpenAI caller, dense indexes and parseable arguments', async () => {
    const tools: OpenAI.ChatCompletionTool[] = [{ type: 'function', function: { name: 'get_weather', parameters: { type: 'object' } } }, { type: 'function', function: { name: 'list_reminders', parameters: { type: 'object' } } }];
    const stream = await oai.chat.completions.create({ model: 'claude-sonnet-4-6', stream: true, stream_options: { include_usage: true }, tools, messages: [{ role: 'user', content: 'x' }] });
    const indexes = new Set<number>();
    let usage: OpenAI.CompletionUsage | undefined;
    let finish: string | null = null;
    const args = new Map<number, string>();
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        indexes.add(tc.index);
        args.set(tc.index, (args.get(tc.index) ?? '') + (tc.function?.arguments ?? ''));
      }
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    assert.deepEqual([...indexes].sort(), [0, 1]);
    for (const a of args.values()) assert.equal(typeof JSON.parse(a), 'object');
    assert.equal(finish, 'tool_calls');
    assert.ok(usage && usage.total_tokens === usage.prompt_tokens + usage.completion_tokens);
  });

  it('raises a mid-stream overloaded error in the OpenAI SDK instead of faking a finish', async () => {
    const stream = await oai.chat.completions.create({ model: 'claude-stream-error', stream: true, messages: [{ role: 'user', content: 'x' }] });
    await assert.rejects((async () => { for await (const _ of stream) { /* drain */ } })(), (err: unknown) => err instanceof OpenAI.APIError);
  });

  it('maps Anthropic 529 overloaded to 503 for OpenAI callers and keeps it for Anthropic callers', async () => {
    await assert.rejects(oai.chat.completions.create({ model: 'claude-overloaded', messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.APIError && err.status === 503);
    await assert.rejects(ant.messages.create({ model: 'claude-overloaded', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.APIError && err.status !== undefined && err.status >= 500);
  });

  it('rejects n>1 for an Anthropic model with the parameter named', async () => {
    await assert.rejects(oai.chat.completions.create({ model: 'claude-sonnet-4-6', n: 2, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.param === 'n' && err.code === 'SB_UNSUPPORTED_PARAMETER');
    assert.equal(upstream.requests.length, 0, 'nothing was sent upstream');
  });

  it('refuses embeddings on an Anthropic model', async () => {
    await assert.rejects(oai.embeddings.create({ model: 'claude-sonnet-4-6', input: 'x' }),
      (err: unknown) => err instanceof OpenAI.BadRequestError && err.code === 'SB_ENDPOINT_NOT_SUPPORTED');
  });
});

describe('Azure OpenAI upstream (recorded traffic)', () => {
  it('calls the deployment URL with api-version and the api-key header', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: /^\/openai\/deployments\/[^/]+\/chat\/completions/, fixture: 'azure/chat-basic.json' }]);
    const gw = await startGateway({
      config: { providers: [{ name: 'azure', type: 'azure-openai', baseUrl: upstream.url, apiKey: 'env:AZURE_SECRET', apiVersion: '2024-10-21', deployments: { 'gpt-4o': 'prod-gpt4o' } }] },
      env: { AZURE_SECRET: 'azure-secret' },
    });
    try {
      const oai = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0 });
      const res = await oai.chat.completions.create({ model: 'azure/gpt-4o', messages: [{ role: 'user', content: 'Hello!' }] });
      assert.equal(res.choices[0]!.finish_reason, 'stop');
      const sent = upstream.requests[0]!;
      assert.equal(sent.path, '/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21');
      assert.equal(sent.headers['api-key'], 'azure-secret');
      assert.equal(sent.headers.authorization, undefined);
    } finally {
      await gw.close();
      await upstream.close();
    }
  });
});
