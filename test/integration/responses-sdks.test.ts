// POST /v1/responses as two clients no one here wrote call it, each against the three kinds of upstream the
// gateway serves (OpenAI: the request as it came; an OpenAI-compatible vendor: translated to chat completions;
// Anthropic: on to Messages), every upstream replaying recorded traffic (test/support/responses-upstreams.ts):
// the Vercel AI SDK's default provider call `openai('…')` (generateText, streamText, a tool loop, structured
// output, a conversation sent back by item_reference and continued by previous_response_id) and the OpenAI
// Agents SDK's Agent with a function tool, its default model name included.
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { createOpenAI, type OpenAIProvider } from '@ai-sdk/openai';
import { Agent, run, setDefaultOpenAIClient, setTracingDisabled, tool as agentTool, type Tool as AgentTool } from '@openai/agents';
import { generateText, isStepCount, Output, streamText, tool, type ModelMessage, type ToolSet } from 'ai';
import OpenAI from 'openai';
import { z } from 'zod';
import type { ReplayServer } from '../support/replay-server.ts';
import { CHAT_TEXT, MESSAGES_TEXT, RESPONSES_TEXT, sentBodies, startResponsesRig, type ResponsesRig } from '../support/responses-upstreams.ts';
import { ADMIN_KEY } from '../support/start-gateway.ts';

/** The Agents SDK's default model name (getDefaultModel() of @openai/agents-core, OPENAI_DEFAULT_MODEL unset). */
const AGENTS_DEFAULT_MODEL = 'gpt-5.4-mini';

type Kind = 'openai' | 'compat' | 'anthropic';

/** One upstream kind, as the tests address it. */
interface Upstream {
  readonly kind: Kind;
  /** The model name that routes to it. */
  readonly model: string;
  /** The recorded text of its plain answer. */
  readonly text: string;
  /** The path the gateway calls on it. */
  readonly path: string;
}

const UPSTREAMS: readonly Upstream[] = [
  { kind: 'openai', model: 'openai/gpt-4o-mini', text: RESPONSES_TEXT, path: '/v1/responses' },
  { kind: 'compat', model: 'compat/llama-3.3-70b', text: CHAT_TEXT, path: '/v1/chat/completions' },
  { kind: 'anthropic', model: 'anthropic/claude-sonnet-4-5', text: MESSAGES_TEXT, path: '/v1/messages' },
];

/**
 * The calls each upstream's recorded tool answer makes: openai/responses-tool.json one get_weather with a city;
 * openai/chat-tools-parallel.json and anthropic/messages-tools-parallel.json get_weather and get_time together.
 */
const RECORDED_CALLS: Readonly<Record<Kind, readonly string[]>> = {
  openai: ['get_weather {"city":"Paris"}'],
  compat: ['get_time {"timezone":"Europe/Paris"}', 'get_weather {"location":"Paris, France","unit":"celsius"}'],
  anthropic: ['get_time {"timezone":"Europe/Paris"}', 'get_weather {"location":"Paris, France","unit":"celsius"}'],
};

/**
 * The calls of the recorded tool streams: openai/responses-stream-tool.sse as its JSON twin; the chat stream
 * likewise; anthropic/messages-stream-tools.sse get_weather and list_reminders, a tool without parameters.
 */
const RECORDED_STREAM_CALLS: Readonly<Record<Kind, readonly string[]>> = {
  ...RECORDED_CALLS,
  anthropic: ['get_weather {"location":"Paris, France","unit":"celsius"}', 'list_reminders {}'],
};

/** The tools' input schemas, as the recorded calls fill them in. */
const CITY = z.object({ city: z.string() });
const PLACE = z.object({ location: z.string(), unit: z.string() });
const ZONE = z.object({ timezone: z.string() });

/** The event the recorded structured answers describe (openai/chat-json-schema.json and its siblings). */
const EVENT = z.object({ name: z.string(), date: z.string(), participants: z.array(z.string()) });
const RECORDED_EVENT = { name: 'Science Fair', date: 'Friday', participants: ['Alice', 'Bob'] };

type Item = { type?: string; role?: string; id?: string; call_id?: string; content?: unknown };

/** An input item's kind: its type, or the role of a message given without one. */
const kindOf = (item: Item): string => (item.type === undefined || item.type === 'message' ? `${item.role ?? '?'}` : item.type);

describe('Responses API through the Vercel AI SDK and the OpenAI Agents SDK', () => {
  let rig: ResponsesRig;
  let provider: OpenAIProvider;
  /** What the SDKs sent the gateway (every POST body) and the JSON answers they got, in order. */
  const sdkSent: Array<Record<string, any>> = [];
  const answered: Array<Record<string, any>> = [];
  const recording = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    if (typeof init?.body === 'string') sdkSent.push(JSON.parse(init.body) as Record<string, any>);
    const res = await fetch(url, init);
    if (res.headers.get('content-type')?.startsWith('application/json') === true) answered.push(await res.clone().json() as Record<string, any>);
    return res;
  };
  const upstream = (kind: Kind): ReplayServer => (kind === 'openai' ? rig.openaiUp : kind === 'compat' ? rig.compatUp : rig.anthropicUp);

  before(async () => {
    rig = await startResponsesRig({
      models: [
        // The Agents SDK's default model name, served by Claude: an operator's entry. The SDK sends that model's
        // defaults, text.verbosity "low" among them, which Claude has no setting for: listed to be dropped.
        { name: AGENTS_DEFAULT_MODEL, provider: 'anthropic', model: 'claude-sonnet-4-5', dropParams: ['verbosity'] },
      ],
    });
    provider = createOpenAI({ baseURL: `${rig.gw.url}/v1`, apiKey: ADMIN_KEY, fetch: recording });
    setDefaultOpenAIClient(new OpenAI({ baseURL: `${rig.gw.url}/v1`, apiKey: ADMIN_KEY, maxRetries: 0, fetch: recording }));
    setTracingDisabled(true);
  });
  afterEach(() => {
    rig.clearRequests();
    sdkSent.length = 0;
    answered.length = 0;
  });
  after(() => rig.close());

  describe('the Vercel AI SDK: openai(…), its Responses API model', () => {
    /**
     * The tools each upstream's recorded tool answer calls (`streamed`: its recorded tool stream's); `calls` gets
     * "name {input}" for every execution.
     */
    function aiTools(kind: Kind, calls: string[], streamed = false): ToolSet {
      const ran = (name: string, input: object, result: object): object => {
        calls.push(`${name} ${JSON.stringify(input)}`);
        return result;
      };
      if (kind === 'openai') {
        return { get_weather: tool({ description: 'Get the current weather in a city', inputSchema: CITY, execute: async (input) => ran('get_weather', input, { celsius: 18 }) }) };
      }
      const weather = tool({ description: 'Weather of a city', inputSchema: PLACE, execute: async (input) => ran('get_weather', input, { celsius: 18 }) });
      if (kind === 'anthropic' && streamed) {
        return { get_weather: weather, list_reminders: tool({ description: 'The user\'s reminders', inputSchema: z.object({}), execute: async (input) => ran('list_reminders', input, { reminders: [] }) }) };
      }
      return { get_weather: weather, get_time: tool({ description: 'Time in a city', inputSchema: ZONE, execute: async (input) => ran('get_time', input, { time: '10:30' }) }) };
    }

    for (const u of UPSTREAMS) {
      describe(`${u.kind} upstream (${u.model})`, () => {
        it('generateText: the recorded text, finish reason and usage', async () => {
          const result = await generateText({ model: provider(u.model), prompt: 'Hello!' });
          assert.equal(result.text, u.text);
          assert.equal(result.finishReason, 'stop');
          assert.ok((result.usage.inputTokens ?? 0) > 0 && (result.usage.outputTokens ?? 0) > 0, JSON.stringify(result.usage));
          assert.equal(result.usage.totalTokens, (result.usage.inputTokens ?? 0) + (result.usage.outputTokens ?? 0));
          assert.equal(upstream(u.kind).requests[0]!.path, u.path);
        });

        it('streamText: the text assembled from the deltas, finish reason and usage', async () => {
          const result = streamText({ model: provider(u.model), prompt: 'Hello!' });
          let text = '';
          let deltas = 0;
          for await (const delta of result.textStream) {
            text += delta;
            deltas++;
          }
          assert.equal(text, u.text);
          assert.ok(deltas > 1, `${deltas} text delta(s): the answer streamed`);
          assert.equal(await result.finishReason, 'stop');
          const usage = await result.usage;
          assert.ok((usage.inputTokens ?? 0) > 0 && (usage.outputTokens ?? 0) > 0, JSON.stringify(usage));
          assert.equal(sdkSent[0]!.stream, true);
          assert.equal(upstream(u.kind).requests[0]!.path, u.path);
          assert.equal(sentBodies(upstream(u.kind))[0]!.stream, true);
        });

        it('a tool loop (isStepCount(2)): the tools run, their results go back in a second request, the model answers', async () => {
          const calls: string[] = [];
          const result = await generateText({ model: provider(u.model), prompt: 'What is the weather in Paris?', tools: aiTools(u.kind, calls), stopWhen: isStepCount(2) });
          assert.equal(result.steps.length, 2);
          assert.equal(result.steps[0]!.finishReason, 'tool-calls');
          assert.equal(result.finishReason, 'stop');
          assert.equal(result.text, u.text);
          assert.deepEqual(calls.sort(), RECORDED_CALLS[u.kind]);
          // The SDK's second request: no previous_response_id; the calls inline, each with its output, and the
          // first answer's text (if it had any) by item_reference, which the gateway resolves from its store.
          assert.equal(sdkSent.length, 2);
          const second = sdkSent[1]!;
          assert.equal(second.previous_response_id, undefined);
          const items = second.input as Item[];
          const firstOutput = answered[0]!.output as Item[];
          const message = firstOutput.find((item) => item.type === 'message');
          const expected = ['user', ...(message === undefined ? [] : ['item_reference']), ...RECORDED_CALLS[u.kind].map(() => 'function_call'), ...RECORDED_CALLS[u.kind].map(() => 'function_call_output')];
          assert.deepEqual(items.map(kindOf), expected);
          if (message !== undefined) assert.equal(items[1]!.id, message.id);
          const callIds = firstOutput.filter((item) => item.type === 'function_call').map((item) => item.call_id).sort();
          assert.deepEqual(items.filter((item) => item.type === 'function_call_output').map((item) => item.call_id).sort(), callIds);
          // And what the upstream got for it, in its own dialect.
          const sent = sentBodies(upstream(u.kind));
          assert.equal(sent.length, 2);
          if (u.kind === 'openai') {
            assert.deepEqual((sent[1]!.input as Item[]).map(kindOf), expected, 'the SDK\'s request as it came');
          } else if (u.kind === 'compat') {
            assert.deepEqual((sent[1]!.messages as Item[]).map(kindOf), ['user', 'assistant', 'tool', 'tool']);
          } else {
            const [question, answer, results] = sent[1]!.messages as Array<{ role: string; content: Array<{ type: string; text?: string; tool_use_id?: string }> }>;
            assert.equal(question!.role, 'user');
            assert.deepEqual(answer!.content.map((b) => b.type), ['text', 'tool_use', 'tool_use'], 'the text came back by item_reference');
            assert.equal(answer!.content[0]!.text, 'I\'ll check the weather and the local time in Paris for you.');
            assert.deepEqual(results!.content.map((b) => b.type), ['tool_result', 'tool_result']);
          }
        });

        it('streamText with tools: the streamed calls run, their results go back in a second stream, whose answer streams', async () => {
          const calls: string[] = [];
          const result = streamText({ model: provider(u.model), prompt: 'What is the weather in Paris?', tools: aiTools(u.kind, calls, true), stopWhen: isStepCount(2) });
          let text = '';
          for await (const delta of result.textStream) text += delta;
          const steps = await result.steps;
          assert.equal(steps.length, 2);
          assert.equal(steps[0]!.finishReason, 'tool-calls');
          assert.equal(steps[1]!.text, u.text);
          assert.ok(text.endsWith(u.text), text);
          assert.equal(await result.finishReason, 'stop');
          assert.deepEqual(calls.sort(), RECORDED_STREAM_CALLS[u.kind]);
          assert.deepEqual(sdkSent.map((b) => b.stream), [true, true]);
          const outputs = (sdkSent[1]!.input as Item[]).filter((item) => item.type === 'function_call_output');
          assert.equal(outputs.length, RECORDED_STREAM_CALLS[u.kind].length);
          assert.deepEqual(upstream(u.kind).requests.map((r) => r.path), [u.path, u.path]);
        });

        it('structured output: Output.object with a zod schema reads the recorded JSON answer', async () => {
          const result = await generateText({ model: provider(u.model), prompt: 'Alice and Bob are going to a science fair on Friday.', output: Output.object({ schema: EVENT }) });
          assert.deepEqual(result.output, RECORDED_EVENT);
          assert.equal(sdkSent[0]!.text.format.type, 'json_schema');
          const sent = sentBodies(upstream(u.kind))[0]!;
          if (u.kind === 'openai') assert.deepEqual(sent.text, sdkSent[0]!.text);
          if (u.kind === 'compat') assert.deepEqual(sent.response_format.json_schema.schema, sdkSent[0]!.text.format.schema);
          if (u.kind === 'anthropic') assert.deepEqual(sent.tool_choice, { type: 'tool', name: 'json_response', disable_parallel_tool_use: true });
        });

        it('a conversation: the earlier answer sent back by item_reference, then continued by previous_response_id', async () => {
          const first = await generateText({ model: provider(u.model), prompt: 'Hello!' });
          const firstItem = (answered[0]!.output as Item[])[0]!;
          const messages: ModelMessage[] = [{ role: 'user', content: 'Hello!' }, ...first.response.messages, { role: 'user', content: 'And again?' }];
          const second = await generateText({ model: provider(u.model), messages });
          assert.equal(second.text, u.text);
          assert.deepEqual(sdkSent[1]!.input[1], { type: 'item_reference', id: firstItem.id }, 'the SDK stores by default, so it refers to its answer by id');
          const responseId = String(second.providerMetadata?.openai?.responseId);
          const third = await generateText({ model: provider(u.model), prompt: 'And once more?', providerOptions: { openai: { previousResponseId: responseId } } });
          assert.equal(third.text, u.text);
          assert.equal(sdkSent[2]!.previous_response_id, responseId);
          const sent = sentBodies(upstream(u.kind));
          if (u.kind === 'openai') {
            // OpenAI holds its own items: the reference goes as it came. The conversation is the gateway's: the
            // third turn goes with the earlier items in its input, not with the id.
            assert.deepEqual(sent[1]!.input, sdkSent[1]!.input);
            assert.equal(sent[2]!.previous_response_id, undefined);
            assert.deepEqual((sent[2]!.input as Item[]).map(kindOf), ['user', 'item_reference', 'user', 'assistant', 'user']);
          } else {
            const roles = (body: Record<string, any>) => (body.messages as Item[]).map((m) => m.role);
            assert.deepEqual(roles(sent[1]!), ['user', 'assistant', 'user']);
            assert.deepEqual(roles(sent[2]!), ['user', 'assistant', 'user', 'assistant', 'user']);
            const assistant = (sent[1]!.messages as Array<{ content: unknown }>)[1]!.content;
            assert.equal(typeof assistant === 'string' ? assistant : (assistant as Array<{ text: string }>)[0]!.text, u.text, 'the referenced item, resolved');
          }
        });
      });
    }

    it('a conversation that moves from a translated upstream to OpenAI: the item_reference to the gateway\'s own item reaches OpenAI as that item', async () => {
      const first = await generateText({ model: provider('compat/llama-3.3-70b'), prompt: 'Hello!' });
      const messages: ModelMessage[] = [{ role: 'user', content: 'Hello!' }, ...first.response.messages, { role: 'user', content: 'And again?' }];
      const second = await generateText({ model: provider('openai/gpt-4o-mini'), messages });
      assert.equal(second.text, RESPONSES_TEXT);
      assert.equal(sdkSent[1]!.input[1].type, 'item_reference');
      const input = sentBodies(rig.openaiUp)[0]!.input as Array<Item & { content: Array<{ text: string }> }>;
      assert.deepEqual(input.map(kindOf), ['user', 'assistant', 'user']);
      assert.equal(input[1]!.id, sdkSent[1]!.input[1].id);
      assert.equal(input[1]!.content[0]!.text, CHAT_TEXT);
    });
  });

  describe('the OpenAI Agents SDK: an Agent with function tools, run(agent, input)', () => {
    /** The tools each upstream's recorded tool answer calls; `calls` gets "name {input}" for every execution. */
    function agentTools(kind: Kind, calls: string[]): AgentTool[] {
      const ran = (name: string, input: object, result: string): string => {
        calls.push(`${name} ${JSON.stringify(input)}`);
        return result;
      };
      if (kind === 'openai') {
        return [agentTool({ name: 'get_weather', description: 'Get the current weather in a city', parameters: CITY, execute: (input) => ran('get_weather', input, '18°C') })];
      }
      return [
        agentTool({ name: 'get_weather', description: 'Weather of a city', parameters: PLACE, execute: (input) => ran('get_weather', input, '18°C') }),
        agentTool({ name: 'get_time', description: 'Time in a city', parameters: ZONE, execute: (input) => ran('get_time', input, '10:30') }),
      ];
    }

    const cases: ReadonlyArray<{ title: string; model: string | undefined; u: Upstream }> = [
      { title: 'openai upstream: model openai/gpt-4o-mini', model: 'openai/gpt-4o-mini', u: UPSTREAMS[0]! },
      { title: 'compat upstream: model compat/llama-3.3-70b', model: 'compat/llama-3.3-70b', u: UPSTREAMS[1]! },
      { title: `anthropic upstream: the SDK's default model (${AGENTS_DEFAULT_MODEL}, sent unchanged), which a gateway models entry serves from Claude`, model: undefined, u: UPSTREAMS[2]! },
    ];
    for (const { title, model, u } of cases) {
      it(title, async () => {
        const calls: string[] = [];
        const agent = new Agent({ name: 'Assistant', instructions: 'You are a helpful assistant.', tools: agentTools(u.kind, calls), ...(model === undefined ? {} : { model }) });
        const result = await run(agent, 'What is the weather in Paris?');
        assert.equal(result.finalOutput, u.text);
        assert.deepEqual(calls.sort(), RECORDED_CALLS[u.kind]);
        // Two turns, both sent with the model name the agent has; the second with the calls and their outputs.
        assert.equal(sdkSent.length, 2);
        for (const sent of sdkSent) assert.equal(sent.model, model ?? AGENTS_DEFAULT_MODEL);
        // The Agents SDK sends the first answer's items back as they came (its text too, as an assistant message).
        const items = sdkSent[1]!.input as Item[];
        const firstOutput = answered[0]!.output as Item[];
        assert.deepEqual(items.slice(1, 1 + firstOutput.length).map((item) => item.id), firstOutput.map((item) => item.id));
        const text = firstOutput.some((item) => item.type === 'message') ? ['assistant'] : [];
        assert.deepEqual(items.map(kindOf), ['user', ...text, ...RECORDED_CALLS[u.kind].map(() => 'function_call'), ...RECORDED_CALLS[u.kind].map(() => 'function_call_output')]);
        const up = upstream(u.kind);
        assert.deepEqual(up.requests.map((r) => r.path), [u.path, u.path]);
        if (model === undefined) {
          // The default model's settings came along (reasoning effort "none", verbosity "low"), and the entry's model went upstream.
          assert.deepEqual(sdkSent[0]!.text?.verbosity, 'low');
          for (const sent of sentBodies(up)) assert.equal(sent.model, 'claude-sonnet-4-5');
        }
      });
    }
  });
});
