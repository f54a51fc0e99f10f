import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { CallContext } from '../../domain/call-context.ts';
import type { Principal } from '../../domain/principal.ts';
import type { ResponsesTurn } from '../../domain/responses-turn.ts';
import { GatewayError } from '../../errors/gateway-error.ts';
import { mintResponsesId, responseIdOfItem } from '../../providers/formats/responses-ids.ts';
import { isRecord } from '../../providers/formats/json-value.ts';
import { inputItemsPage, type InputItemsQuery } from '../../providers/formats/responses-input-items.ts';
import { responsesToChatRequest } from '../../providers/formats/responses-to-chat-request.ts';
import type { ResponsesRequest } from '../../providers/formats/responses-types.ts';
import type { LiveRouting } from '../../routing/live-routing.ts';
import type { ResponseScope, ResponseStore, StoredResponse } from '../../storage/ports.ts';
import type { Lifecycle } from '../lifecycle.ts';
import { requestFacts } from '../request-facts.ts';
import { requestSignal } from '../request-signal.ts';
import { responsesBodySchema } from './responses-schema.ts';
import { sendAnswer } from './send-answer.ts';

export interface ResponsesRouteDeps {
  readonly routing: LiveRouting;
  readonly responses: ResponseStore;
  readonly requestTimeoutMs: number;
  readonly lifecycle: Lifecycle;
  readonly logger: { warn(obj: object, msg: string): void };
}

const DAY_MS = 24 * 60 * 60 * 1000;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 256 } } } as const;
const inputItemsQuery = {
  type: 'object',
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    order: { type: 'string', enum: ['asc', 'desc'], default: 'desc' },
    after: { type: 'string', minLength: 1, maxLength: 256 },
    include: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
  },
} as const;

/**
 * The OpenAI Responses API: POST /v1/responses for every model (an OpenAI upstream gets the request as it came,
 * every other one the chat completion it translates to), and the responses the gateway keeps for
 * previous_response_id: GET and DELETE /v1/responses/{id} and GET /v1/responses/{id}/input_items, scoped to the caller's workspace, else its key.
 */
export function registerResponsesRoutes(app: FastifyInstance, deps: ResponsesRouteDeps): void {
  app.post('/v1/responses', { schema: { body: responsesBodySchema, tags: ['ai'] }, config: { dialect: 'openai' } },
    (request, reply) => deps.lifecycle.track(create(deps, request, reply)));
  app.get('/v1/responses/:id', { schema: { params: idParams, tags: ['ai'] }, config: { dialect: 'openai' } },
    async (request) => (await storedFor(deps.responses, request)).response);
  app.get('/v1/responses/:id/input_items', { schema: { params: idParams, querystring: inputItemsQuery, tags: ['ai'] }, config: { dialect: 'openai' } }, async (request) => {
    const stored = await storedFor(deps.responses, request);
    return inputItemsPage(stored.id, stored.input, request.query as InputItemsQuery);
  });
  app.delete('/v1/responses/:id', { schema: { params: idParams, tags: ['ai'] }, config: { dialect: 'openai' } }, async (request) => {
    const { id } = request.params as { id: string };
    if (!(await reachStore(() => deps.responses.delete(id, scopeOf(request))))) throw notFound(id, 'id');
    return { id, object: 'response', deleted: true };
  });
}

async function create(deps: ResponsesRouteDeps, request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
  const body = request.body as ResponsesRequest & Record<string, unknown>;
  // Required by the body's schema.
  const model = body.model as string;
  const principal = principalOf(request);
  const { config, executor } = deps.routing.current;
  const scope = scopeOf(request);
  // Most requests name no earlier turn and no stored item: they wait for no store (and no promise).
  const earlier = typeof body.previous_response_id === 'string' ? await conversation(deps.responses, body.previous_response_id, scope, config.responses.maxTurns) : NO_TURNS;
  const history = earlier.length === 0 ? NO_TURNS : earlier.flatMap((turn) => [...turn.input, ...outputOf(turn.response)]);
  const referenced = hasReferences(body.input) ? await referencedItems(deps.responses, body.input, scope) : NO_ITEMS;
  // Lenient: what only OpenAI's own service can do is refused by the target that cannot, once it is chosen.
  const { chat, echo, input, refusal, resolvedFromStore } = responsesToChatRequest(body, { model, history, resolveItem: (id) => referenced.get(id), lenient: true });
  const turn: ResponsesTurn = {
    id: mintResponsesId('resp'), createdAt: Math.floor(Date.now() / 1000), echo: echo as unknown as Record<string, unknown>, body,
    raw: request.rawBody ?? Buffer.from(JSON.stringify(body)), history, input, resolvedFromStore, untranslatable: refusal,
  };
  const ctx = callContext(request, principal, chat as unknown as Record<string, unknown>, turn, requestSignal(reply, deps.requestTimeoutMs), deps.requestTimeoutMs);
  const answer = await executor.execute(ctx);
  const keep = body.store !== false;
  const nowMs = Date.now();
  const stored = (response: Readonly<Record<string, unknown>>): StoredResponse => ({
    id: typeof response.id === 'string' ? response.id : turn.id, keyId: principal.keyId, workspaceId: principal.workspaceId,
    previousResponseId: typeof body.previous_response_id === 'string' ? body.previous_response_id : null, model,
    input, response, origin: response.id === turn.id ? 'gateway' : 'upstream',
    createdAtMs: nowMs, expiresAtMs: nowMs + config.responses.retentionDays * DAY_MS,
  });
  // A JSON answer is stored before it is sent: the caller's next turn, on any replica, finds it.
  if (keep && answer.kind === 'json' && answer.response !== undefined) await keepResponse(deps, stored(answer.response));
  const streaming = sendAnswer(reply, answer);
  if (streaming === undefined) return reply;
  const final = await streaming;
  // A stream's Response is whole only once its last event is written: stored right after.
  if (keep && final !== undefined && final.status !== 'failed') await keepResponse(deps, stored(final));
  return undefined;
}

const NO_TURNS: readonly never[] = Object.freeze([]);
const NO_ITEMS: ReadonlyMap<string, unknown> = new Map();

function hasReferences(input: unknown): boolean {
  return Array.isArray(input) && input.some((item) => isRecord(item) && item.type === 'item_reference');
}

/** The stored response the route's `id` names, as the caller may see it; 404 otherwise. */
async function storedFor(store: ResponseStore, request: FastifyRequest): Promise<StoredResponse> {
  const { id } = request.params as { id: string };
  const stored = await reachStore(() => store.get(id, scopeOf(request), Date.now()));
  if (stored === undefined) throw notFound(id, 'id');
  return stored;
}

/** The earlier turns a previous_response_id names, oldest first. */
async function conversation(store: ResponseStore, previous: string, scope: ResponseScope, maxTurns: number): Promise<readonly StoredResponse[]> {
  const turns = await reachStore(() => store.conversation(previous, scope, Date.now(), maxTurns));
  if (turns === undefined) throw notFound(previous, 'previous_response_id');
  return turns;
}

/** A failed write loses the conversation's continuation, not the answer: logged, and the caller still served. */
async function keepResponse(deps: ResponsesRouteDeps, response: StoredResponse): Promise<void> {
  try {
    await deps.responses.put(response);
  } catch (err) {
    deps.logger.warn({ err, event: 'response_store_failed', responseId: response.id }, 'responses: a response could not be stored; previous_response_id will not find it');
  }
}

/** A store that failed (down, locked, timed out) is the store's fault, not the caller's: 503, worth a retry. */
async function reachStore<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (err) {
    if (err instanceof GatewayError) throw err;
    throw new GatewayError('SB_RESPONSE_STORE_UNAVAILABLE', { cause: err });
  }
}

function outputOf(response: Readonly<Record<string, unknown>>): readonly unknown[] {
  return Array.isArray(response.output) ? response.output : [];
}

/**
 * The earlier output items the input names by `item_reference` (the Vercel AI SDK sends every earlier assistant
 * turn so), fetched before the translation: an item id of the gateway's names its response (responses-ids.ts).
 * An item not found stays unresolved, and the translation says which.
 */
async function referencedItems(store: ResponseStore, input: unknown, scope: ResponseScope): Promise<ReadonlyMap<string, unknown>> {
  const found = new Map<string, unknown>();
  if (!Array.isArray(input)) return found;
  const wanted = new Map<string, Set<string>>();
  for (const item of input) {
    const id = isRecord(item) && item.type === 'item_reference' && typeof item.id === 'string' ? item.id : undefined;
    const response = id === undefined ? undefined : responseIdOfItem(id);
    if (id === undefined || response === undefined) continue;
    let ids = wanted.get(response);
    if (ids === undefined) wanted.set(response, ids = new Set());
    ids.add(id);
  }
  const now = Date.now();
  for (const [responseId, ids] of wanted) {
    const stored = await reachStore(() => store.get(responseId, scope, now));
    for (const item of stored === undefined ? [] : outputOf(stored.response)) {
      if (isRecord(item) && typeof item.id === 'string' && ids.has(item.id)) found.set(item.id, item);
    }
  }
  return found;
}

function principalOf(request: FastifyRequest): Principal {
  const principal = request.principal;
  if (principal === undefined) throw new GatewayError('SB_INTERNAL');
  return principal;
}

function scopeOf(request: FastifyRequest): ResponseScope {
  const principal = principalOf(request);
  return { keyId: principal.keyId, workspaceId: principal.workspaceId };
}

function notFound(id: string, param: string): GatewayError {
  return new GatewayError('SB_RESPONSE_NOT_FOUND', { param, message: `No stored response has the id "${id.slice(0, 100)}" for this key: it was made with store: false, deleted, expired, or belongs to another workspace or key.` });
}

function callContext(request: FastifyRequest, principal: Principal, chat: Record<string, unknown>, turn: ResponsesTurn, signal: AbortSignal, timeoutMs: number): CallContext {
  const now = performance.now();
  const model = turn.body.model as string;
  // Routing reads the caller's metadata and user, and the prompt as the chat carries it (earlier turns included).
  const factsBody = { messages: chat.messages, user: turn.body.user, metadata: turn.body.metadata };
  let raw: Buffer | undefined;
  return {
    requestId: request.id, principal, endpoint: 'responses', callerFormat: 'openai', body: chat,
    // The chat's bytes only when they go upstream as they are: a provider prefix or another model id rewrites them anyway.
    get raw(): Buffer {
      raw ??= Buffer.from(JSON.stringify(chat));
      return raw;
    },
    model, stream: turn.body.stream === true, forwardHeaders: {},
    facts: requestFacts({ requestId: request.id, keyId: principal.keyId, workspace: principal.workspaceId, endpoint: 'responses', headers: request.headers, body: factsBody, model }),
    startedAt: now, deadlineAt: now + timeoutMs, startedMs: Date.now(), signal, responses: turn,
  };
}
