import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Admissions } from '../limits/admissions.ts';
import type { CheckState } from '../limits/limiter.ts';
import { estimateTokens, requestChecks } from '../limits/request-checks.ts';

/**
 * The AI area's preHandler: after the key and the body are checked, every limit of the request is taken in one
 * decision (limits/admissions.ts). Answers carry seed 001's X-RateLimit-* headers for the tightest request limit
 * and OpenAI's x-ratelimit-* for requests and tokens; a refusal is 429 SB_RATE_LIMITED with Retry-After.
 */
export function rateLimitHook(admissions: Admissions, config: () => Config) {
  return async function limit(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const principal = request.principal;
    if (principal === undefined) return;
    const current = config();
    const body = (request.body ?? undefined) as Readonly<Record<string, unknown>> | undefined;
    const model = typeof body?.model === 'string' ? body.model : undefined;
    const admitRequest = requestChecks(current.limits, {
      requestId: request.id, principal, model,
      workspace: principal.workspaceId === null ? undefined : current.workspaces[principal.workspaceId],
      tokens: body === undefined || request.rawBody === undefined ? 0 : estimateTokens(request.rawBody.length, body),
    });
    if (admitRequest === null) return;
    const admission = await admissions.admit(admitRequest, current.limits);
    setHeaders(reply, admission.states, Date.now());
    if (!admission.ok) {
      const seconds = Math.max(1, Math.ceil(admission.retryAfterMs / 1000));
      const { refusedBy } = admission;
      throw new GatewayError('SB_RATE_LIMITED', {
        retryAfter: seconds,
        message: `Rate limit reached: ${describe(refusedBy.key)} allows ${refusedBy.limit}${refusedBy.kind === 'concurrency' ? ' at once' : ` per ${refusedBy.windowMs >= 3_600_000 ? 'hour' : 'minute'}`}. Retry after ${seconds} s.`,
      });
    }
  };
}

function describe(key: string): string {
  const [scope, , what] = key.split(':');
  const unit = key.endsWith(':tpm') ? 'tokens' : key.endsWith(':concurrent') ? 'concurrent requests' : 'requests';
  const owner = scope === 'ws' ? 'the workspace' : scope === 'tier' ? 'the tier' : scope === 'model' ? `model ${what ?? ''}` : 'the key';
  return `${owner} (${unit})`;
}

function setHeaders(reply: FastifyReply, states: readonly CheckState[], now: number): void {
  let requests: CheckState | undefined;
  let tokens: CheckState | undefined;
  for (const s of states) {
    if (s.key.endsWith(':tpm')) {
      if (tokens === undefined || s.remaining < tokens.remaining) tokens = s;
    } else if (s.key.endsWith(':rpm') || s.key.endsWith(':rph')) {
      if (requests === undefined || s.remaining < requests.remaining) requests = s;
    }
  }
  if (requests !== undefined) {
    reply.header('x-ratelimit-limit', requests.limit).header('x-ratelimit-remaining', requests.remaining).header('x-ratelimit-reset', Math.ceil(requests.resetAt / 1000));
    reply.header('x-ratelimit-limit-requests', requests.limit).header('x-ratelimit-remaining-requests', requests.remaining).header('x-ratelimit-reset-requests', duration(requests.resetAt - now));
  }
  if (tokens !== undefined) {
    reply.header('x-ratelimit-limit-tokens', tokens.limit).header('x-ratelimit-remaining-tokens', tokens.remaining).header('x-ratelimit-reset-tokens', duration(tokens.resetAt - now));
  }
}

/** OpenAI's reset format: "1s", "6m0s", "20ms". */
function duration(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const s = Math.ceil(ms / 1000);
  return s < 60 ? `${s}s` : `${Math.floor(s / 60)}m${s % 60}s`;
}
