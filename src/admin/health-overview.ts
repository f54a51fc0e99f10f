import type { Config } from '../config/schema.ts';
import { providerEndpoint } from '../domain/endpoint-ref.ts';
import { routingProviders } from '../routing/endpoint-providers.ts';
import type { EndpointStatus, HealthRegistry } from '../health/health-registry.ts';
import type { ModeStatus, ProviderAdapter } from '../providers/provider-adapter.ts';

/** One provider's health as GET /api/health/overview shows it. */
export interface EndpointOverview extends EndpointStatus {
  readonly provider: string;
  readonly mode: 'direct' | 'proxy' | 'embedded';
  /** Where requests go now (embedded: sidecar, direct fallback or unavailable). */
  readonly route: ModeStatus['route'];
  readonly sidecar: Readonly<Record<string, unknown>> | null;
  /** The active health check's URL, when one is configured. */
  readonly healthCheckUrl: string | null;
}

export interface HealthOverview {
  /** healthy: every endpoint takes traffic; degraded: some do not; unhealthy: none does. */
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly timestamp: string;
  /** Where circuit state lives: this replica's memory, or Redis (REDIS_URL). */
  readonly stateStore: 'memory' | 'redis';
  /** Whether every replica sees this state now: false without Redis, and while Redis cannot be reached (each replica then judges alone). */
  readonly sharedState: boolean;
  readonly healthTracking: boolean;
  readonly summary: { readonly endpoints: number; readonly available: number; readonly breakerOpen: number; readonly ejected: number; readonly probeFailing: number; readonly sidecarsNotReady: number };
  readonly endpoints: readonly EndpointOverview[];
}

/**
 * Every provider's endpoint state (registered models' endpoints included, as "<model id>@<endpoint id>"): breaker, ejection, probes, latency, error rate, and for embedded
 * mode the sidecar's state and restarts. Read from the registry at call time, so on Redis it shows what every
 * replica sees.
 */
export function healthOverview(config: Config, providers: ReadonlyMap<string, ProviderAdapter>, health: HealthRegistry): HealthOverview {
  const endpoints = routingProviders(config).map((p): EndpointOverview => {
    const status = health.status(providerEndpoint(p.name));
    const mode = providers.get(p.name)?.modeStatus?.();
    const route = mode?.route ?? (p.mode === 'proxy' ? 'proxy' : 'direct');
    return {
      ...status, provider: p.name, mode: p.mode, route, sidecar: mode?.sidecar ?? null, healthCheckUrl: p.healthCheck?.url ?? null,
      available: status.available && route !== 'unavailable',
    };
  });
  const available = endpoints.filter((e) => e.available).length;
  return {
    status: available === endpoints.length ? 'healthy' : available === 0 ? 'unhealthy' : 'degraded',
    timestamp: new Date().toISOString(), stateStore: health.backend, sharedState: health.shared, healthTracking: config.resilience.healthTracking,
    summary: {
      endpoints: endpoints.length, available, breakerOpen: endpoints.filter((e) => e.breaker !== 'closed').length,
      ejected: endpoints.filter((e) => e.ejectedUntil !== null).length, probeFailing: endpoints.filter((e) => e.probe?.healthy === false).length,
      sidecarsNotReady: endpoints.filter((e) => e.mode === 'embedded' && e.route !== 'sidecar').length,
    },
    endpoints,
  };
}
