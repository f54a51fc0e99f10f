import type { ProviderConfig } from '../config/schema.ts';
import { isSecretHeader } from '../config/secret-ref.ts';

/**
 * A provider in proxy mode, as the direct provider config that reaches it: the upstream gateway's base URL,
 * key and timeout in place of the provider's own. The gateway is spoken to in the provider's wire format with
 * the plain OpenAI-style or Anthropic paths (so Azure deployments become model names), and none of the
 * provider's own credential headers travel to it. Retries stay the executor's (proxy.retries → the target's).
 */
export function proxiedProviderConfig(config: ProviderConfig): ProviderConfig {
  const proxy = config.proxy;
  if (proxy === undefined) return config;
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(config.headers)) if (!isSecretHeader(name)) headers[name] = value;
  return {
    ...config, type: config.type === 'anthropic' ? 'anthropic' : 'openai-compatible', mode: 'direct', baseUrl: proxy.baseUrl,
    apiKey: proxy.apiKey, apiKeyEnv: undefined, headers, timeoutMs: proxy.timeoutMs ?? config.timeoutMs, proxy: undefined,
  };
}
