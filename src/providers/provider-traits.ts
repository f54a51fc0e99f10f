import type { ProviderConfig } from '../config/schema.ts';
import type { Operation, ProviderKind, WireFormat } from './provider-adapter.ts';

/** What a provider entry implies before any adapter is built: its dialect, operations and default base URL. */
export interface ProviderTraits {
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  /** Where the provider's own API is: config.baseUrl, else the vendor's public one; undefined for mock. */
  readonly baseUrl: string | undefined;
}

const OPENAI_OPS: ReadonlySet<Operation> = new Set(['chat', 'embeddings']);
/** OpenAI's own API: a Responses call goes to it as it came, where every other upstream gets it translated to chat. */
const OPENAI_NATIVE_OPS: ReadonlySet<Operation> = new Set(['chat', 'embeddings', 'responses']);
const ANTHROPIC_OPS: ReadonlySet<Operation> = new Set(['messages', 'count_tokens']);
const DEFAULT_BASE_URLS: Readonly<Partial<Record<ProviderKind, string>>> = {
  openai: 'https://api.openai.com/v1',
  anthropic: 'https://api.anthropic.com',
};

/**
 * The traits the adapters of create-provider.ts have, for code that wraps a provider without building it first
 * (the embedded mode needs the dialect to pick the sidecar's base path). Same values as create-provider.ts.
 */
export function providerTraits(config: Pick<ProviderConfig, 'type' | 'baseUrl'>): ProviderTraits {
  const format: WireFormat = config.type === 'anthropic' ? 'anthropic' : 'openai';
  return {
    kind: config.type,
    format,
    operations: format === 'anthropic' ? ANTHROPIC_OPS : config.type === 'openai' ? OPENAI_NATIVE_OPS : OPENAI_OPS,
    baseUrl: config.baseUrl ?? DEFAULT_BASE_URLS[config.type],
  };
}
