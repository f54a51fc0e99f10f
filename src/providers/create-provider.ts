import type { ProviderConfig } from '../config/schema.ts';
import { isSecretRef, resolveSecret } from '../config/secret-ref.ts';
import type { ByteBudget } from '../upstream/byte-budget.ts';
import { HttpProvider, joinPath } from './http-provider.ts';
import { createMockAdapter } from './mock/mock-adapter.ts';
import type { Operation, ProviderAdapter } from './provider-adapter.ts';
import { providerTraits } from './provider-traits.ts';

type Env = Readonly<Record<string, string | undefined>>;

const OPENAI_PATHS: Readonly<Record<string, string>> = { chat: '/chat/completions', embeddings: '/embeddings', responses: '/responses' };
const ANTHROPIC_PATHS: Readonly<Record<string, string>> = { messages: '/v1/messages', count_tokens: '/v1/messages/count_tokens' };
/** The Anthropic API version the translators target. */
export const ANTHROPIC_VERSION = '2023-06-01';
const DEFAULT_AZURE_API_VERSION = '2024-10-21';

/**
 * Builds the adapter for one configured provider. Credentials come from apiKey (a secret reference) or apiKeyEnv.
 * Azure OpenAI gets no model list: its deployments are the operator's, named in config. `budget` is the
 * process-wide bound on buffered answers, shared by every provider; without it each provider bounds only its own.
 */
export function createProvider(config: ProviderConfig, env: Env = process.env, budget?: ByteBudget): ProviderAdapter {
  const apiKey = config.apiKey !== undefined ? resolveSecret(config.apiKey, env) : (config.apiKeyEnv === undefined ? undefined : env[config.apiKeyEnv]);
  const headers = resolveHeaders(config.headers, env);
  const traits = providerTraits(config);
  const common = {
    name: config.name, timeoutMs: config.timeoutMs, idleTimeoutMs: config.idleTimeoutMs, connections: config.connections,
    maxResponseBytes: config.maxResponseBytes,
  };
  switch (config.type) {
    case 'mock':
      return createMockAdapter({ name: config.name });
    case 'anthropic': {
      const baseUrl = traits.baseUrl ?? '';
      return new HttpProvider({
        ...common, kind: 'anthropic', format: 'anthropic', baseUrl, operations: traits.operations,
        pathFor: fixedPaths(baseUrl, ANTHROPIC_PATHS),
        modelList: { path: joinPath(baseUrl, '/v1/models?limit=1000'), paging: 'after-id' },
        headers: { ...headers, 'anthropic-version': ANTHROPIC_VERSION, ...(apiKey ? { 'x-api-key': apiKey } : {}) },
      }, budget);
    }
    case 'azure-openai': {
      const baseUrl = config.baseUrl ?? '';
      const version = encodeURIComponent(config.apiVersion ?? DEFAULT_AZURE_API_VERSION);
      return new HttpProvider({
        ...common, kind: 'azure-openai', format: 'openai', baseUrl, operations: traits.operations,
        pathFor: (op, model) => joinPath(baseUrl, `/openai/deployments/${encodeURIComponent(config.deployments[model] ?? model)}${OPENAI_PATHS[op] ?? ''}?api-version=${version}`),
        headers: { ...headers, ...(apiKey ? { 'api-key': apiKey } : {}) },
      }, budget);
    }
    default: {
      const baseUrl = traits.baseUrl ?? '';
      return new HttpProvider({
        ...common, kind: config.type, format: 'openai', baseUrl, operations: traits.operations,
        pathFor: fixedPaths(baseUrl, OPENAI_PATHS),
        modelList: { path: joinPath(baseUrl, '/models'), paging: 'none' },
        headers: { ...headers, ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
      }, budget);
    }
  }
}

/** Header values written as env:NAME or file:/path are read now; the version validated that they can be. */
function resolveHeaders(headers: Readonly<Record<string, string>>, env: Env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) out[name] = isSecretRef(value) ? resolveSecret(value, env) ?? '' : value;
  return out;
}

/** Paths that do not depend on the model are joined once, not per request. */
function fixedPaths(baseUrl: string, paths: Readonly<Record<string, string>>): (op: Operation) => string {
  const joined = new Map(Object.entries(paths).map(([op, suffix]) => [op, joinPath(baseUrl, suffix)]));
  return (op) => joined.get(op) ?? joinPath(baseUrl, '');
}
