import type { FastifyReply, FastifyRequest } from 'fastify';
import type { LimitsConfig } from '../config/limits-schema.ts';
import type { Principal } from '../domain/principal.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Admissions } from '../limits/admissions.ts';
import { requestChecks } from '../limits/request-checks.ts';
import { rateLimited, setRateLimitHeaders } from './admission-hook.ts';

export interface AnonymousLimitDeps {
  readonly admissions: Admissions;
  readonly limits: () => LimitsConfig;
}

/** What a refused authentication becomes: the same error, or 429 once the client address has used its tier. */
export type AnonymousLimit = (request: FastifyRequest, reply: FastifyReply, refused: unknown) => Promise<unknown>;

/**
 * Seed 001's anonymous tier, by client address: every request that brings no valid credentials (no key, a wrong or
 * expired one, a bad token) counts against `limits.tiers.anonymous` for its address — request.ip, which follows
 * X-Forwarded-For only from `server.trustedProxies` — and once the address has used it up the answer is 429
 * SB_RATE_LIMITED with Retry-After instead of 401, so guessing keys from one address is slowed to the tier's rate.
 * Callers with a valid key never touch this counter. A failure of the limiter store keeps the 401.
 */
export function anonymousLimit(deps: AnonymousLimitDeps): AnonymousLimit {
  return async function limitAnonymous(request, reply, refused) {
    if (!(refused instanceof GatewayError) || refused.status !== 401) return refused;
    const limits = deps.limits();
    const address = request.ip;
    const principal: Principal = {
      keyId: `ip:${address}`, kind: 'anonymous', role: 'viewer', scopes: new Set(), workspaceId: null, models: null, tier: 'anonymous', userId: null,
    };
    const admit = requestChecks(limits, { requestId: request.id, principal, model: undefined, workspace: undefined, tokens: 0 });
    if (admit === null || admit.checks.length === 0) return refused;
    try {
      const admission = await deps.admissions.admit(admit, limits);
      setRateLimitHeaders(reply, admission.states, Date.now());
      return admission.ok ? refused : rateLimited(admission.refusedBy, admission.retryAfterMs);
    } catch {
      // Closed policy with the store down: the caller is refused anyway; its 401 says why better than a 503.
      return refused;
    }
  };
}
