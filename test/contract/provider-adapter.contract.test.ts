import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { providerSchema } from '../../src/config/schema.ts';
import { createProvider } from '../../src/providers/create-provider.ts';
import { MOCK_MODELS, createMockAdapter } from '../../src/providers/mock/mock-adapter.ts';
import type { Operation, UpstreamRequest } from '../../src/providers/provider-adapter.ts';
import { FIXTURES_DIR, startReplayServer, type ReplayRoute } from '../support/replay-server.ts';
import { runProviderAdapterContract, type AdapterSubject, type Scenario } from './provider-adapter.contract.ts';

type Requests = Record<Scenario, Omit<UpstreamRequest, 'signal'>>;

const OPENAI_OPS: readonly Operation[] = ['chat', 'embeddings'];
const ANTHROPIC_OPS: readonly Operation[] = ['messages', 'count_tokens'];

/** The ids a recorded list fixture holds, which listModels must answer. */
function fixtureIds(name: string): string[] {
  return (JSON.parse(readFileSync(join(FIXTURES_DIR, name), 'utf8')) as { body: { data: Array<{ id: string }> } }).body.data.map((m) => m.id);
}

/** One request per scenario, told apart upstream by its model. */
function requestsFor(operation: Operation, models: Readonly<Record<Scenario, string>>, extra: Readonly<Record<string, unknown>>): Requests {
  const make = (scenario: Scenario, stream: boolean): Omit<UpstreamRequest, 'signal'> => {
    const model = models[scenario];
    return { operation, model, stream, headers: {}, body: JSON.stringify({ model, ...extra, ...(stream ? { stream: true } : {}) }) };
  };
  return { json: make('json', false), stream: make('stream', true), error: make('error', false), slow: make('slow', false), slowStream: make('slowStream', true) };
}

const OPENAI_MODELS = { json: 'gpt-4o-mini', stream: 'gpt-4o-mini', error: 'gpt-500', slow: 'gpt-hang', slowStream: 'gpt-slow' } as const;
const OPENAI_REQUESTS = requestsFor('chat', OPENAI_MODELS, { messages: [{ role: 'user', content: 'Hello!' }] });
const ANTHROPIC_MODELS = { json: 'claude-sonnet-4-5', stream: 'claude-sonnet-4-5', error: 'claude-overloaded', slow: 'claude-hang', slowStream: 'claude-slow' } as const;
const ANTHROPIC_REQUESTS = requestsFor('messages', ANTHROPIC_MODELS, { max_tokens: 100, messages: [{ role: 'user', content: 'Hello!' }] });

/** Chat routes on one path, by model: what the OpenAI-format providers' upstreams answer. */
function openaiChatRoutes(path: string | RegExp, json: string): ReplayRoute[] {
  const model = (m: string) => (b: Readonly<Record<string, unknown>>): boolean => b.model === m;
  return [
    { method: 'POST', path, when: model('gpt-500'), fixture: 'openai/error-500.json' },
    { method: 'POST', path, when: model('gpt-hang'), behaviour: 'hang' },
    { method: 'POST', path, when: model('gpt-slow'), fixture: 'openai/chat-stream.sse', chunkDelayMs: 150 },
    { method: 'POST', path, when: (b) => b.stream === true, fixture: 'openai/chat-stream.sse' },
    { method: 'POST', path, fixture: json },
  ];
}

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}

/** The credential the providers are built with, by reference as configuration writes it. */
const CONTRACT_ENV = { CONTRACT_KEY: 'sk-contract' };

/** An HTTP provider from a config entry (defaults filled as the loader would), against a replay server. */
async function httpSubject(routes: readonly ReplayRoute[], config: (url: string) => Record<string, unknown>, requests: Requests, errorStatus: number, models: readonly string[] | undefined): Promise<AdapterSubject> {
  const upstream = await startReplayServer(routes);
  const adapter = createProvider(providerSchema.parse({ apiKey: 'env:CONTRACT_KEY', ...config(upstream.url) }), CONTRACT_ENV);
  return {
    adapter, requests, errorStatus, models,
    close: async () => {
      await adapter.close();
      await upstream.close();
    },
  };
}

async function unreachable(config: (url: string) => Record<string, unknown>): Promise<ReturnType<typeof createProvider>> {
  return createProvider(providerSchema.parse({ apiKey: 'env:CONTRACT_KEY', ...config(`http://127.0.0.1:${await closedPort()}`) }), CONTRACT_ENV);
}

const openaiConfig = (url: string) => ({ name: 'openai', type: 'openai', baseUrl: `${url}/v1` });
const compatibleConfig = (url: string) => ({ name: 'groq', type: 'openai-compatible', baseUrl: `${url}/openai/v1` });
const azureConfig = (url: string) => ({ name: 'azure', type: 'azure-openai', baseUrl: url, deployments: { 'gpt-4o-mini': 'mini-prod' } });
const anthropicConfig = (url: string) => ({ name: 'anthropic', type: 'anthropic', baseUrl: url });

runProviderAdapterContract('mock', { kind: 'mock', format: 'openai', operations: OPENAI_OPS }, async () => {
  const adapter = createMockAdapter({ name: 'mock' });
  const requests = requestsFor('chat', { json: 'mock', stream: 'mock', error: 'mock-error-500', slow: 'mock-slow', slowStream: 'mock-slow' }, { messages: [{ role: 'user', content: 'Hello!' }] });
  return { adapter, requests, errorStatus: 500, models: MOCK_MODELS, close: () => adapter.close() };
});

runProviderAdapterContract('openai', { kind: 'openai', format: 'openai', operations: [...OPENAI_OPS, 'responses'], unreachable: () => unreachable(openaiConfig) }, () => httpSubject(
  [...openaiChatRoutes('/v1/chat/completions', 'openai/chat-basic.json'), { method: 'GET', path: '/v1/models', fixture: 'openai/models.json' }],
  openaiConfig, OPENAI_REQUESTS, 500, fixtureIds('openai/models.json'),
));

// An OpenAI-compatible vendor under a base path of its own (Groq's /openai/v1), answering OpenAI's recorded shapes.
runProviderAdapterContract('openai-compatible', { kind: 'openai-compatible', format: 'openai', operations: OPENAI_OPS, unreachable: () => unreachable(compatibleConfig) }, () => httpSubject(
  [...openaiChatRoutes('/openai/v1/chat/completions', 'openai/chat-basic.json'), { method: 'GET', path: '/openai/v1/models', fixture: 'openai/models.json' }],
  compatibleConfig, OPENAI_REQUESTS, 500, fixtureIds('openai/models.json'),
));

// Azure streams OpenAI's chunk shape; no Azure stream is recorded, so the OpenAI one stands in.
runProviderAdapterContract('azure-openai', { kind: 'azure-openai', format: 'openai', operations: OPENAI_OPS, unreachable: () => unreachable(azureConfig) }, () => httpSubject(
  openaiChatRoutes(/^\/openai\/deployments\/[^/]+\/chat\/completions\?api-version=/, 'azure/chat-basic.json'),
  azureConfig, OPENAI_REQUESTS, 500, undefined,
));

runProviderAdapterContract('anthropic', { kind: 'anthropic', format: 'anthropic', operations: ANTHROPIC_OPS, unreachable: () => unreachable(anthropicConfig) }, () => httpSubject(
  [
    { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'claude-overloaded', fixture: 'anthropic/error-529-overloaded.json' },
    { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'claude-hang', behaviour: 'hang' },
    { method: 'POST', path: '/v1/messages', when: (b) => b.model === 'claude-slow', fixture: 'anthropic/messages-stream.sse', chunkDelayMs: 150 },
    { method: 'POST', path: '/v1/messages', when: (b) => b.stream === true, fixture: 'anthropic/messages-stream.sse' },
    { method: 'POST', path: '/v1/messages', fixture: 'anthropic/messages-basic.json' },
    // One page here; test/integration/models.test.ts follows Anthropic's after_id pages.
    { method: 'GET', path: '/v1/models', fixture: 'anthropic/models.json' },
  ],
  anthropicConfig, ANTHROPIC_REQUESTS, 529, fixtureIds('anthropic/models.json'),
));
