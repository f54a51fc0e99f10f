import type { FastifyInstance } from 'fastify';
import { healthOverview } from '../../admin/health-overview.ts';
import type { AppDeps } from '../app-deps.ts';

/** Seed 002's system health overview: every endpoint's breaker, ejection, probes, latency and sidecar. */
export function registerHealthRoutes(app: FastifyInstance, deps: AppDeps): void {
  const config = { dialect: 'generic' } as const;
  app.get('/api/health/overview', { config, schema: { tags: ['admin'] } }, async () => {
    const { config: current, providers } = deps.routing.current;
    return healthOverview(current, providers, deps.health);
  });
}
