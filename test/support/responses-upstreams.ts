/**
 * The rig of the Responses API suites: three replay upstreams, one of each kind the gateway serves /v1/responses
 * for, and a gateway in front of them. `openai` (type openai) is sent the Responses request as it came;
 * `compat` (openai-compatible) the chat completion it translates to; `anthropic` that chat completion translated
 * on to Messages; `mock` answers in process. Each upstream picks its recorded answer by the request's body: a
 * stream or not, tools or not, the second turn of a tool loop (its tool results sent back), a JSON schema asked for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES_DIR, startReplayServer, type ReplayRoute, type ReplayServer, type RequestBody } from './replay-server.ts';
import { SINGLE_ATTEMPT, startGateway, type TestGateway } from './start-gateway.ts';

/** The body of a recorded JSON fixture (test/fixtures/<provider>/<name>.json). */
export function fixtureBody(name: string): Record<string, unknown> {
  return (JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as { body: Record<string, unknown> }).body;
}

/** The event types of a recorded OpenAI Responses stream, in order (e.g. openai/responses-stream.sse). */
export function recordedTypes(fixture: string): string[] {
  return readFileSync(join(FIXTURES_DIR, fixture), 'utf8').split('\n').filter((l) => l.startsWith('event: ')).map((l) => l.slice(7));
}

/** The text of the recorded chat answer the OpenAI-compatible upstream gives to a plain request. */
export const CHAT_TEXT = ((fixtureBody('openai/chat-basic.json').choices as Array<{ message: { content: string } }>)[0]!).message.content;
/** The text of the recorded Responses answer the OpenAI upstream gives to a plain request. */
export const RESPONSES_TEXT = 'Hello! How can I help you today?';
/** The text of the recorded Messages answer the Anthropic upstream gives to a plain request. */
export const MESSAGES_TEXT = ((fixtureBody('anthropic/messages-basic.json').content as Array<{ text: string }>)[0]!).text;

export const streamed = (b: RequestBody): boolean => b.stream === true;
export const hasTools = (b: RequestBody): boolean => Array.isArray(b.tools) && b.tools.length > 0;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A chat request whose last message answers tool calls: the second turn of a tool loop. */
export const answersTools = (b: RequestBody): boolean => Array.isArray(b.messages) && (b.messages.at(-1) as { role?: string } | undefined)?.role === 'tool';
/** A Responses request whose input hands back a function's output: the second turn of a tool loop. */
export const answersFunctionCalls = (b: RequestBody): boolean => Array.isArray(b.input) && b.input.some((item) => isRecord(item) && item.type === 'function_call_output');
/** A Messages request whose last (user) message carries tool_result blocks: the second turn of a tool loop. */
export const answersToolUse = (b: RequestBody): boolean => {
  const last = Array.isArray(b.messages) ? b.messages.at(-1) : undefined;
  return isRecord(last) && Array.isArray(last.content) && last.content.some((block) => isRecord(block) && block.type === 'tool_result');
};
/** A Responses request for JSON that matches a schema (text.format json_schema). */
export const wantsSchemaText = (b: RequestBody): boolean => isRecord(b.text) && isRecord(b.text.format) && b.text.format.type === 'json_schema';
/** A chat request for JSON that matches a schema (response_format json_schema). */
export const wantsSchemaChat = (b: RequestBody): boolean => isRecord(b.response_format) && b.response_format.type === 'json_schema';
/** A Messages request that forces the gateway's JSON emulation tool (how it asks Claude for a JSON answer). */
export const forcesJsonTool = (b: RequestBody): boolean => isRecord(b.tool_choice) && b.tool_choice.type === 'tool' && b.tool_choice.name === 'json_response';

export interface ResponsesRig {
  readonly openaiUp: ReplayServer;
  readonly compatUp: ReplayServer;
  readonly anthropicUp: ReplayServer;
  readonly gw: TestGateway;
  /** Forgets the requests the upstreams captured (between tests). */
  clearRequests(): void;
  close(): Promise<void>;
}

export interface ResponsesRigOptions {
  /** The gateway's `models` entries (docs/configuration.md "## Models"), e.g. an SDK's default model name. */
  readonly models?: readonly Record<string, unknown>[];
}

/** Upstream routes, the more specific first: a route matches the first time its `when` holds. */
const OPENAI_ROUTES: readonly ReplayRoute[] = [
  { method: 'POST', path: '/v1/responses', when: (b) => !streamed(b) && wantsSchemaText(b), fixture: 'openai/responses-json-schema.json' },
  { method: 'POST', path: '/v1/responses', when: (b) => !streamed(b) && (!hasTools(b) || answersFunctionCalls(b)), fixture: 'openai/responses-basic.json' },
  { method: 'POST', path: '/v1/responses', when: (b) => !streamed(b) && hasTools(b), fixture: 'openai/responses-tool.json' },
  { method: 'POST', path: '/v1/responses', when: (b) => streamed(b) && (!hasTools(b) || answersFunctionCalls(b)), fixture: 'openai/responses-stream.sse' },
  { method: 'POST', path: '/v1/responses', when: (b) => streamed(b) && hasTools(b), fixture: 'openai/responses-stream-tool.sse' },
];

const COMPAT_ROUTES: readonly ReplayRoute[] = [
  { method: 'POST', path: '/v1/chat/completions', when: (b) => !streamed(b) && wantsSchemaChat(b), fixture: 'openai/chat-json-schema.json' },
  { method: 'POST', path: '/v1/chat/completions', when: (b) => !streamed(b) && hasTools(b) && !answersTools(b), fixture: 'openai/chat-tools-parallel.json' },
  { method: 'POST', path: '/v1/chat/completions', when: (b) => !streamed(b), fixture: 'openai/chat-basic.json' },
  { method: 'POST', path: '/v1/chat/completions', when: (b) => streamed(b) && hasTools(b) && !answersTools(b), fixture: 'openai/chat-stream-tools-parallel.sse' },
  { method: 'POST', path: '/v1/chat/completions', when: (b) => streamed(b), fixture: 'openai/chat-stream.sse' },
];

const ANTHROPIC_ROUTES: readonly ReplayRoute[] = [
  { method: 'POST', path: '/v1/messages', when: (b) => !streamed(b) && forcesJsonTool(b), fixture: 'anthropic/messages-json-tool.json' },
  { method: 'POST', path: '/v1/messages', when: (b) => !streamed(b) && hasTools(b) && !answersToolUse(b), fixture: 'anthropic/messages-tools-parallel.json' },
  { method: 'POST', path: '/v1/messages', when: (b) => !streamed(b), fixture: 'anthropic/messages-basic.json' },
  { method: 'POST', path: '/v1/messages', when: (b) => streamed(b) && hasTools(b) && !answersToolUse(b), fixture: 'anthropic/messages-stream-tools.sse' },
  { method: 'POST', path: '/v1/messages', when: (b) => streamed(b), fixture: 'anthropic/messages-stream.sse' },
];

/**
 * Starts the three upstreams and a gateway with providers `openai`, `compat` (serving llama-3.3-70b), `anthropic`
 * and `mock`, one attempt per request (no retries hiding a failure).
 */
export async function startResponsesRig(options: ResponsesRigOptions = {}): Promise<ResponsesRig> {
  const [openaiUp, compatUp, anthropicUp] = await Promise.all([startReplayServer(OPENAI_ROUTES), startReplayServer(COMPAT_ROUTES), startReplayServer(ANTHROPIC_ROUTES)]);
  const gw = await startGateway({
    config: {
      providers: [
        { name: 'openai', type: 'openai', baseUrl: `${openaiUp.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' },
        { name: 'compat', type: 'openai-compatible', baseUrl: `${compatUp.url}/v1`, models: ['llama-3.3-70b'] },
        { name: 'anthropic', type: 'anthropic', baseUrl: anthropicUp.url, apiKey: 'env:ANTHROPIC_PROVIDER_KEY' },
        { name: 'mock', type: 'mock', models: ['mock'] },
      ],
      ...(options.models === undefined ? {} : { models: options.models }),
      resilience: SINGLE_ATTEMPT,
    },
  });
  const ups = [openaiUp, compatUp, anthropicUp];
  return {
    openaiUp, compatUp, anthropicUp, gw,
    clearRequests: () => {
      for (const up of ups) up.requests.length = 0;
    },
    close: async () => {
      await gw.close();
      await Promise.all(ups.map((up) => up.close()));
    },
  };
}

/** The JSON bodies an upstream was sent, in arrival order. */
export function sentBodies(up: ReplayServer): Array<Record<string, any>> {
  return up.requests.map((r) => JSON.parse(r.body) as Record<string, any>);
}
