import type { Config } from '../config/schema.ts';
import { isSecretRef, resolveSecret } from '../config/secret-ref.ts';
import type { ProbeTarget } from '../health/active-prober.ts';
export type { ProbeTarget };
import { providerEndpoint } from '../domain/endpoint-ref.ts';
import { routingProviders } from './endpoint-providers.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** What LiveRouting needs of the prober: each version's list of checks. */
export interface ProbeScheduler {
  update(targets: readonly ProbeTarget[]): void;
}

/** The active health checks a configuration asks for: providers[].healthCheck and models[].endpoints[].healthCheckUrl. */
export function probeTargets(config: Config, env: Env): ProbeTarget[] {
  return routingProviders(config).flatMap((p) => {
    const check = p.healthCheck;
    if (check === undefined) return [];
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(check.headers)) headers[name] = isSecretRef(value) ? resolveSecret(value, env) ?? '' : value;
    const { intervalMs, timeoutMs, healthyThreshold, unhealthyThreshold } = check;
    return [{ endpoint: providerEndpoint(p.name), url: check.url, headers, settings: { intervalMs, timeoutMs, healthyThreshold, unhealthyThreshold } }];
  });
}
