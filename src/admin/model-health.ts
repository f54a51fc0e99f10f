import type { Config, ModelConfig } from '../config/schema.ts';
import { providerEndpoint, type EndpointRef } from '../domain/endpoint-ref.ts';
import type { EndpointStatus } from '../health/health-registry.ts';
import { endpointIdOf, endpointProviderName } from '../routing/endpoint-providers.ts';

export type ModelHealthStatus = 'healthy' | 'degraded' | 'unhealthy';

/** One endpoint of a model, as the health registry sees it, and the provider name it is called as. */
export interface ModelEndpointHealth extends EndpointStatus {
  /** "<model id>@<endpoint id>", or the model's provider for a model without endpoints. */
  readonly provider: string;
}

/** GET /api/models/{id}/health. */
export interface ModelHealth {
  readonly modelId: string;
  /** unhealthy: no endpoint takes traffic, or a monitor reported unhealthy; degraded: some are out, or reported degraded. */
  readonly status: ModelHealthStatus;
  /** Mean over the endpoints of (available ? 1 − error rate : 0), 0..1. */
  readonly healthScore: number;
  /** What a monitor last posted (POST /api/models/{id}/health); null when none did. */
  readonly reported: NonNullable<ModelConfig['reportedHealth']> | null;
  readonly endpoints: readonly ModelEndpointHealth[];
}

type HealthModel = Pick<ModelConfig, 'id' | 'provider' | 'endpoints' | 'reportedHealth'>;

/**
 * A registered model's health from its endpoints' state in the health registry (breaker, ejection, probes, error
 * rate) and a monitor's last report. A model without endpoints is served, and so measured, by its provider.
 */
export function modelHealth(model: HealthModel, status: (endpoint: EndpointRef) => EndpointStatus): ModelHealth {
  const providers = model.endpoints.length === 0 ? [model.provider] : model.endpoints.map((e, i) => endpointProviderName(model.id, endpointIdOf(e, i)));
  const endpoints = providers.map((provider): ModelEndpointHealth => ({ ...status(providerEndpoint(provider)), provider }));
  const available = endpoints.filter((e) => e.available).length;
  const healthScore = endpoints.reduce((sum, e) => sum + (e.available ? 1 - e.errorRate : 0), 0) / endpoints.length;
  const reported = model.reportedHealth ?? null;
  const state: ModelHealthStatus = available === 0 || reported?.status === 'unhealthy' ? 'unhealthy'
    : available < endpoints.length || reported?.status === 'degraded' ? 'degraded' : 'healthy';
  return { modelId: model.id, status: state, healthScore, reported, endpoints };
}

/** Every registered model's health score (model_router_model_health_score). */
export function modelHealthScores(config: Config, status: (endpoint: EndpointRef) => EndpointStatus): Array<{ readonly model: string; readonly score: number }> {
  return config.models.map((m) => ({ model: m.id, score: modelHealth(m, status).healthScore }));
}
