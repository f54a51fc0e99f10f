import { randomUUID } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { CallContext } from '../../domain/call-context.ts';
import type { Principal } from '../../domain/principal.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import type { LiveRouting } from '../../routing/live-routing.ts';
import { usageFromOpenAI } from '../../providers/formats/usage.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { requestFacts } from '../request-facts.ts';
import { requestSignal } from '../request-signal.ts';
import { parsed } from './admin-input.ts';

const config = { dialect: 'generic' } as const;
const text = z.string().min(1).max(500);
const metadata = z.record(z.string().min(1).max(100), z.union([z.string().max(500), z.number(), z.boolean()])).optional();

/** Seed 002's POST /api/route body; `model` and `messages` are ours (a caller may name a model or send a chat). */
const routeBody = z.object({
  id: z.string().min(1).max(200).optional(),
  agentType: text.optional(),
  workspaceId: text.optional(),
  userId: text.optional(),
  model: z.string().min(1).max(400).optional(),
  prompt: z.string().max(1_000_000).optional(),
  messages: z.array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string().max(1_000_000) }).strict()).min(1).optional(),
  parameters: z.object({
    temperature: z.number().min(0).max(2).optional(),
    maxTokens: z.number().int().positive().optional(),
    topP: z.number().min(0).max(1).optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).optional(),
  }).strict().optional(),
  metadata,
}).strict().refine((b) => (b.prompt === undefined) !== (b.messages === undefined), { message: 'send prompt or messages (one of them)', path: ['prompt'] });

/** Seed 002's POST /api/routing/test body, plus what else a decision reads. */
const testBody = z.object({
  agentType: text.optional(),
  workspaceId: text.optional(),
  userId: text.optional(),
  sessionId: text.optional(),
  requestType: text.optional(),
  model: z.string().min(1).max(400).optional(),
  prompt: z.string().max(1_000_000).optional(),
  metadata,
  headers: z.record(z.string().min(1).max(100), z.string().max(500)).optional(),
  /** Decide as this key would be decided for (its id only: conditions on keyId; model lists are the caller's). */
  keyId: text.optional(),
}).strict();

/** POST /api/route: any valid key (it is inference), answered in seed 002's shape. */
export function registerRouteRoute(app: FastifyInstance, routing: LiveRouting, requestTimeoutMs: number, lifecycle: Lifecycle): void {
  app.post('/api/route', { config, schema: { tags: ['ai'] } }, (request, reply) => lifecycle.track(route(routing, requestTimeoutMs, request, reply)));
}

/** POST /api/routing/test: the decision and its explanation, without calling a provider (admin). */
export function registerRoutingTestRoute(app: FastifyInstance, routing: LiveRouting): void {
  app.post('/api/routing/test', { config: { ...config, scope: 'admin:read' }, schema: { tags: ['admin'] } }, async (request) => {
    const body = parsed(testBody, request.body ?? {}, 'body');
    const principal = request.principal as Principal;
    const state = routing.current;
    const prompt = body.prompt ?? '';
    const facts = requestFacts({
      requestId: `test-${randomUUID()}`, keyId: body.keyId ?? principal.keyId, workspace: principal.workspaceId, endpoint: 'chat', model: body.model,
      headers: { ...lowerCase(body.headers), ...(body.sessionId === undefined ? {} : { 'x-switchboard-session': body.sessionId }) },
      body: { messages: [{ role: 'user', content: prompt }], ...(body.metadata === undefined ? {} : { metadata: body.metadata }) },
      given: { agentType: body.agentType, workspaceId: body.workspaceId, userId: body.userId, requestType: body.requestType ?? stringOf(body.metadata?.requestType) ?? 'completion' },
    });
    const decision = state.router.decide(facts, principal, true);
    return {
      configVersion: state.version,
      model: decision.model,
      targets: decision.plan.targets.map((t) => ({ target: t.label, provider: t.provider, model: t.model, modelId: t.modelKey })),
      ruleId: decision.tags.ruleId, experimentId: decision.tags.experimentId, variant: decision.tags.variant, overrideId: decision.overrideId,
      failure: decision.failure ?? null,
      explanation: decision.explanation,
    };
  });
}

async function route(routing: LiveRouting, timeoutMs: number, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = parsed(routeBody, request.body ?? {}, 'body');
  const principal = request.principal;
  if (principal === undefined) throw new GatewayError('SB_INTERNAL');
  const state = routing.current;
  const messages = body.messages ?? [{ role: 'user' as const, content: body.prompt ?? '' }];
  const p = body.parameters;
  const chat: Record<string, unknown> = {
    model: body.model ?? '', messages,
    ...(p?.temperature === undefined ? {} : { temperature: p.temperature }), ...(p?.maxTokens === undefined ? {} : { max_tokens: p.maxTokens }),
    ...(p?.topP === undefined ? {} : { top_p: p.topP }), ...(p?.stop === undefined ? {} : { stop: p.stop }),
  };
  const now = performance.now();
  const ctx: CallContext = {
    requestId: request.id, principal, endpoint: 'chat', callerFormat: 'openai', body: chat, raw: Buffer.from(JSON.stringify(chat)),
    model: body.model ?? '', stream: false, forwardHeaders: {},
    facts: requestFacts({
      requestId: request.id, keyId: principal.keyId, workspace: principal.workspaceId, endpoint: 'chat', headers: request.headers, model: body.model,
      body: { messages, ...(body.metadata === undefined ? {} : { metadata: body.metadata }) },
      given: { agentType: body.agentType, workspaceId: body.workspaceId, userId: body.userId, requestType: stringOf(body.metadata?.requestType) ?? 'completion' },
    }),
    startedAt: now, deadlineAt: now + timeoutMs, startedMs: Date.now(), signal: requestSignal(reply, timeoutMs),
  };
  const answer = await state.executor.execute(ctx);
  if (answer.kind !== 'json') throw new GatewayError('SB_INTERNAL');
  answer.settle();
  const completion = JSON.parse(answer.body.toString()) as { choices?: Array<{ message?: { content?: unknown } }>; usage?: unknown };
  const usage = usageFromOpenAI(completion.usage);
  const promptTokens = usage.inputTokens + usage.cachedInputTokens + usage.cacheWriteTokens;
  const entry = state.catalogue.entry(answer.model);
  const upstream = answer.target.slice(answer.target.indexOf('/') + 1);
  const price = entry?.pricing ?? state.prices.find(upstream);
  reply.header('x-switchboard-target', answer.target).header('x-switchboard-attempts', answer.attempts).header('x-switchboard-model', answer.model);
  if (answer.rule !== null) reply.header('x-switchboard-rule', answer.rule);
  const content = completion.choices?.[0]?.message?.content;
  return {
    id: `response-${randomUUID()}`, requestId: body.id ?? request.id, modelId: answer.model,
    response: typeof content === 'string' ? content : '',
    usage: { promptTokens, completionTokens: usage.outputTokens, totalTokens: promptTokens + usage.outputTokens, cost: price === undefined ? 0 : state.prices.costWith(price, usage) },
    latency: Math.round(performance.now() - now), status: 'success', timestamp: new Date().toISOString(),
  };
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function lowerCase(headers: Readonly<Record<string, string>> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) out[name.toLowerCase()] = value;
  return out;
}
