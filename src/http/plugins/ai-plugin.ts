import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import { anonymousLimit } from '../anonymous-limit.ts';
import { authHook } from '../auth-hook.ts';
import { registerJsonParser } from '../json-body-parser.ts';
import { admissionHook } from '../admission-hook.ts';
import { registerAiRoutes } from '../routes/ai-routes.ts';
import { registerModelsRoute } from '../routes/models-route.ts';
import { registerResponsesRoutes } from '../routes/responses-routes.ts';
import { registerRouteRoute } from '../routes/route-routes.ts';

/** The AI area (/v1 with the Responses API, and seed 002's POST /api/route): any valid key; JSON bodies whose bytes are kept so they can travel upstream untouched. */
export function aiPlugin(deps: AppDeps) {
  return async function ai(app: FastifyInstance): Promise<void> {
    registerJsonParser(app, { keepRaw: true });
    app.addHook('onRequest', authHook({ authenticator: deps.authenticator, lifecycle: deps.lifecycle, need: 'key', anonymous: anonymousLimit({ admissions: deps.admissions, limits: () => deps.routing.current.config.limits }) }));
    // After the body is parsed and validated: a malformed request takes nothing from the caller's limits.
    app.addHook('preHandler', admissionHook({ admissions: deps.admissions, alerts: deps.budgetAlerts, routing: () => deps.routing.current, usage: deps.usage }));
    registerAiRoutes(app, deps.routing, deps.config.server.requestTimeoutMs, deps.lifecycle);
    registerModelsRoute(app, deps.routing);
    registerRouteRoute(app, deps.routing, deps.config.server.requestTimeoutMs, deps.lifecycle);
    registerResponsesRoutes(app, { routing: deps.routing, responses: deps.storage.responses, requestTimeoutMs: deps.config.server.requestTimeoutMs, lifecycle: deps.lifecycle, logger: deps.logger });
  };
}
