import type { ModelEndpointConfig } from '../config/routing-schemas.ts';
import { providerSchema, type Config, type ModelConfig, type ProviderConfig, type ProviderType } from '../config/schema.ts';

/** The provider a registered model's endpoint is called as: "<model id>@<endpoint id>". */
export function endpointProviderName(modelId: string, endpointId: string): string {
  return `${modelId}@${endpointId}`;
}

/** An endpoint's id: its own, else e1, e2 … by position. */
export function endpointIdOf(endpoint: ModelEndpointConfig, index: number): string {
  return endpoint.id ?? `e${index + 1}`;
}

const cache = new WeakMap<Config, readonly ProviderConfig[]>();

/**
 * Every provider requests can be sent to: the providers section, then one provider per endpoint of a registered
 * model. An endpoint is its model's provider entry (type, credentials, headers, timeouts) at the endpoint's URL,
 * or, when the model names only a provider type, that type with its defaults. Each is its own connection pool
 * and its own health endpoint. Computed once per configuration version.
 */
export function routingProviders(config: Config): readonly ProviderConfig[] {
  const known = cache.get(config);
  if (known !== undefined) return known;
  const out: ProviderConfig[] = [...config.providers];
  for (const m of config.models) m.endpoints.forEach((e, i) => out.push(endpointProvider(config, m, e, i)));
  cache.set(config, out);
  return out;
}

function endpointProvider(config: Config, model: ModelConfig, e: ModelEndpointConfig, index: number): ProviderConfig {
  const entry = config.providers.find((p) => p.name === model.provider);
  // A model naming only a type gets that type's defaults, as a providers entry without settings would.
  const base = entry ?? providerSchema.parse({ name: 'endpoint', type: model.provider as ProviderType });
  const baseUrl = baseUrlOf(e.url, base.type);
  const credentials = e.credentials === undefined ? { apiKey: base.apiKey, apiKeyEnv: base.apiKeyEnv } : { apiKey: e.credentials, apiKeyEnv: undefined };
  return {
    ...base, ...credentials,
    name: endpointProviderName(model.id, endpointIdOf(e, index)),
    baseUrl, models: [], timeoutMs: e.timeoutMs ?? base.timeoutMs,
    mode: e.mode,
    proxy: e.mode === 'proxy' ? { baseUrl, apiKey: credentials.apiKey, modelPrefix: '' } : undefined,
    embedded: e.mode === 'embedded' ? e.embedded : undefined,
    healthCheck: e.healthCheckUrl === undefined ? undefined : {
      url: e.healthCheckUrl, intervalMs: 10_000, timeoutMs: 2_000, healthyThreshold: 2, unhealthyThreshold: 3,
      headers: base.healthCheck?.headers ?? {},
    },
  };
}

/** Operation paths seed 002 writes into endpoint URLs; cut off, the rest is the base URL the adapters expect. */
const OPENAI_OPERATIONS = /\/(chat\/completions|completions|embeddings|responses)\/?$/;
const ANTHROPIC_OPERATIONS = /\/v1\/messages(\/count_tokens)?\/?$/;
const AZURE_OPERATIONS = /\/openai\/deployments\/.*$/;

/** The base URL of an endpoint written as a base URL or as a full operation URL; query and fragment dropped. */
export function baseUrlOf(url: string, type: ProviderType): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.hash = '';
  const pattern = type === 'anthropic' ? ANTHROPIC_OPERATIONS : type === 'azure-openai' ? AZURE_OPERATIONS : OPENAI_OPERATIONS;
  parsed.pathname = parsed.pathname.replace(pattern, '') || '/';
  return parsed.toString().replace(/\/$/, '');
}
