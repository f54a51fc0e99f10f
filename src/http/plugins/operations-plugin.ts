import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import { authHook } from '../auth-hook.ts';
import { registerOperatorRoutes, registerProbeRoutes } from '../routes/ops-routes.ts';

/** Operations: keyless probes and docs, and operator views that show more to an admin key. No bodies. */
export function operationsPlugin(deps: AppDeps) {
  const hook = (need: 'none' | 'optional') => authHook({ authenticator: deps.authenticator, lifecycle: deps.lifecycle, need });
  return async function operations(app: FastifyInstance): Promise<void> {
    app.removeAllContentTypeParsers();
    await app.register(async (probes) => {
      probes.addHook('onRequest', hook('none'));
      registerProbeRoutes(probes, deps);
      const docs = { config: { dialect: 'generic' }, schema: { hide: true } } as const;
      probes.get('/docs', docs, async () => app.swagger());
      probes.get('/docs/json', docs, async () => app.swagger());
    });
    await app.register(async (views) => {
      views.addHook('onRequest', hook('optional'));
      registerOperatorRoutes(views, deps);
    });
  };
}
