import type { FastifyInstance } from 'fastify';
import type { AppDeps } from '../app-deps.ts';
import { anonymousLimit } from '../anonymous-limit.ts';
import { authHook } from '../auth-hook.ts';
import { registerJsonParser } from '../json-body-parser.ts';
import { registerAgentRoutes } from '../routes/agent-routes.ts';
import { registerAnalyticsRoutes } from '../routes/analytics-routes.ts';
import { registerAuditRoutes } from '../routes/audit-routes.ts';
import { registerConfigRoutes } from '../routes/config-routes.ts';
import { registerExperimentRoutes } from '../routes/experiment-routes.ts';
import { registerHealthRoutes } from '../routes/health-routes.ts';
import { registerKeyRoutes } from '../routes/key-routes.ts';
import { registerModelRoutes } from '../routes/model-routes.ts';
import { registerOverrideRoutes } from '../routes/override-routes.ts';
import { registerRoutingTestRoute } from '../routes/route-routes.ts';
import { registerRuleRoutes } from '../routes/rule-routes.ts';
import { registerUsageExportRoute } from '../routes/usage-export-route.ts';
import { registerUsageRoutes } from '../routes/usage-routes.ts';
import { registerWorkspaceRoutes } from '../routes/workspace-routes.ts';

/** The admin API (/api): admin keys only; JSON bodies, validated by zod in each route. */
export function adminPlugin(deps: AppDeps) {
  return async function admin(app: FastifyInstance): Promise<void> {
    registerJsonParser(app, { keepRaw: false });
    app.addHook('onRequest', authHook({ authenticator: deps.authenticator, lifecycle: deps.lifecycle, need: 'admin', anonymous: anonymousLimit({ admissions: deps.admissions, limits: () => deps.routing.current.config.limits }) }));
    registerKeyRoutes(app, deps.keyAdmin, deps.authenticator, { admissions: deps.admissions, limits: () => deps.routing.current.config.limits });
    registerUsageRoutes(app, deps.storage.usage, () => deps.usage.flush());
    registerUsageExportRoute(app, deps);
    registerAnalyticsRoutes(app, deps);
    registerAuditRoutes(app, deps.storage.audit, () => deps.audit.flush());
    registerConfigRoutes(app, deps.versions, deps.configAdmin);
    registerHealthRoutes(app, deps);
    registerRoutingTestRoute(app, deps.routing);
    registerModelRoutes(app, deps);
    registerRuleRoutes(app, deps);
    registerOverrideRoutes(app, deps);
    registerAgentRoutes(app, deps);
    registerWorkspaceRoutes(app, deps);
    registerExperimentRoutes(app, deps);
  };
}
