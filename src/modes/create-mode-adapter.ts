import type { Logger } from 'pino';
import type { ProviderConfig } from '../config/schema.ts';
import type { ProviderAdapter } from '../providers/provider-adapter.ts';
import { createEmbeddedProvider } from './embedded-provider.ts';
import { proxiedProviderConfig } from './proxied-provider-config.ts';

export interface ModeDeps {
  /** Builds a provider's own HTTP adapter (main.ts passes createProvider); `baseUrl` overrides the config's. */
  readonly http: (config: ProviderConfig, baseUrl?: string) => ProviderAdapter;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where sidecars keep their pid files (<dataDir>/sidecars). */
  readonly runDir: string;
  readonly logger: Logger;
}

/**
 * Seed 003's router factory, per provider: direct (its own API), proxy (an upstream gateway, spoken to in the
 * provider's wire format) or embedded (a supervised sidecar, with the direct adapter as its fallback). Every
 * mode is a ProviderAdapter, so the executor, its retries and the health tracking treat them alike.
 */
export function createModeAdapter(config: ProviderConfig, deps: ModeDeps): ProviderAdapter {
  switch (config.mode) {
    case 'proxy':
      return withMode(deps.http(proxiedProviderConfig(config)), 'proxy');
    case 'embedded':
      return createEmbeddedProvider(config, deps);
    default:
      return deps.http(config);
  }
}

function withMode(adapter: ProviderAdapter, mode: 'proxy'): ProviderAdapter {
  const status = { mode, route: mode } as const;
  return Object.assign(adapter, { modeStatus: () => status });
}
