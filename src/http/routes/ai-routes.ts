import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { WireFormat } from '../../providers/provider-adapter.ts';
import type { CallContext } from '../../domain/call-context.ts';
import type { LiveRouting } from '../../routing/live-routing.ts';
import type { Endpoint } from '../../domain/usage-record.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { requestFacts } from '../request-facts.ts';
import { requestSignal } from '../request-signal.ts';
import { sendAnswer } from './send-answer.ts';
import { chatBodySchema, countTokensBodySchema, embeddingsBodySchema, messagesBodySchema } from './ai-schemas.ts';

const FORWARDED = ['anthropic-beta', 'anthropic-version'] as const;

interface AiRoute { readonly url: string; readonly endpoint: Endpoint; readonly format: WireFormat; readonly schema: object }

const ROUTES: readonly AiRoute[] = [
  { url: '/v1/chat/completions', endpoint: 'chat', format: 'openai', schema: chatBodySchema },
  { url: '/v1/embeddings', endpoint: 'embeddings', format: 'openai', schema: embeddingsBodySchema },
  { url: '/v1/messages', endpoint: 'messages', format: 'anthropic', schema: messagesBodySchema },
  { url: '/v1/messages/count_tokens', endpoint: 'count_tokens', format: 'anthropic', schema: countTokensBodySchema },
];

/** The inference endpoints of both dialects; each hands a CallContext to the executor and writes its Answer. */
export function registerAiRoutes(app: FastifyInstance, routing: LiveRouting, requestTimeoutMs: number, lifecycle: Lifecycle): void {
  for (const route of ROUTES) {
    app.post(route.url, {
      schema: { body: route.schema, tags: ['ai'] },
      config: { dialect: route.format },
    }, (request, reply) => lifecycle.track(handle(route, routing, requestTimeoutMs, request, reply)));
  }
}

async function handle(route: AiRoute, routing: LiveRouting, timeoutMs: number, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  // Read once: the request runs to its end on this version's executor, whatever is swapped in meanwhile.
  const executor = routing.current.executor;
  const ctx = callContext(route, request, requestSignal(reply, timeoutMs), timeoutMs);
  const answer = await executor.execute(ctx);
  const streaming = sendAnswer(reply, answer);
  if (streaming === undefined) return reply;
  await streaming;
  return undefined;
}

function callContext(route: AiRoute, request: FastifyRequest, signal: AbortSignal, timeoutMs: number): CallContext {
  const body = request.body as Record<string, unknown>;
  const principal = request.principal;
  if (principal === undefined || request.rawBody === undefined) throw new GatewayError('SB_INTERNAL');
  const now = performance.now();
  const forwardHeaders: Record<string, string> = {};
  for (const name of FORWARDED) {
    const value = request.headers[name];
    if (typeof value === 'string') forwardHeaders[name] = value;
  }
  return {
    requestId: request.id, principal, endpoint: route.endpoint, callerFormat: route.format, body, raw: request.rawBody,
    model: body.model as string, stream: body.stream === true, forwardHeaders,
    facts: requestFacts({ requestId: request.id, keyId: principal.keyId, workspace: principal.workspaceId, endpoint: route.endpoint, headers: request.headers, body, model: body.model as string }),
    startedAt: now, deadlineAt: now + timeoutMs, startedMs: Date.now(), signal,
  };
}
