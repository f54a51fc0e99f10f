import type { IncomingHttpHeaders } from 'node:http';
import type { RequestFacts } from '../domain/request-facts.ts';
import type { Endpoint } from '../domain/usage-record.ts';
import { GatewayError } from '../errors/gateway-error.ts';

const METADATA_PREFIX = 'x-switchboard-metadata-';
const REQUEST_TYPES: Readonly<Record<Endpoint, string>> = { chat: 'chat', messages: 'chat', responses: 'chat', embeddings: 'embedding', count_tokens: 'count_tokens' };
const NO_METADATA: Readonly<Record<string, string>> = Object.freeze({});
/** Longest value taken from a header or the body for routing: bounded, since metadata can be anything. */
const MAX_VALUE = 500;

export interface FactsSource {
  readonly requestId: string;
  readonly keyId: string;
  /**
   * The caller's own workspace (the key's or the token's): it is the request's workspace, and a different one
   * claimed in a header or the body is refused. null (a key of no workspace): the claim is taken as it is.
   */
  readonly workspace: string | null;
  readonly endpoint: Endpoint;
  readonly headers: IncomingHttpHeaders;
  readonly body: Readonly<Record<string, unknown>>;
  /** The model the caller named; undefined for POST /api/route without one. */
  readonly model: string | undefined;
  /** Seed 002's /api/route fields, which win over headers and metadata. */
  readonly given?: { readonly agentType?: string | undefined; readonly workspaceId?: string | undefined; readonly userId?: string | undefined; readonly requestType?: string | undefined };
}

/**
 * The facts routing reads, from the documented headers (x-switchboard-agent-type, -workspace, -user, -session,
 * -metadata-<name>) or the body's `metadata` object and `user` field (Anthropic: metadata.user_id). Headers win
 * over the body. The prompt's length is counted only if a rule asks for it.
 */
export function requestFacts(source: FactsSource): RequestFacts {
  const { headers, body } = source;
  const metadata = metadataOf(headers, body.metadata);
  const header = (name: string): string | undefined => {
    const value = headers[name];
    return typeof value === 'string' ? value.slice(0, MAX_VALUE) : undefined;
  };
  let length: number | undefined;
  return {
    requestId: source.requestId, keyId: source.keyId, model: source.model,
    agentType: source.given?.agentType ?? header('x-switchboard-agent-type') ?? metadata.agentType,
    workspaceId: workspaceOf(source.workspace, source.given?.workspaceId ?? header('x-switchboard-workspace') ?? metadata.workspaceId),
    userId: source.given?.userId ?? header('x-switchboard-user') ?? bounded(body.user) ?? metadata.userId ?? metadata.user_id,
    sessionId: header('x-switchboard-session') ?? metadata.sessionId,
    requestType: source.given?.requestType ?? metadata.requestType ?? REQUEST_TYPES[source.endpoint],
    metadata, header,
    contentLength: () => (length ??= promptLength(body)),
  };
}

function workspaceOf(own: string | null, claimed: string | undefined): string | undefined {
  if (own === null) return claimed;
  if (claimed !== undefined && claimed !== own) {
    throw new GatewayError('SB_WORKSPACE_FORBIDDEN', { param: 'workspaceId', message: `This key belongs to workspace "${own}"; the request names workspace "${claimed.slice(0, 100)}".` });
  }
  return own;
}

function metadataOf(headers: IncomingHttpHeaders, fromBody: unknown): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  if (fromBody !== null && typeof fromBody === 'object' && !Array.isArray(fromBody)) {
    for (const [name, value] of Object.entries(fromBody)) {
      const text = bounded(value);
      if (text !== undefined) (out ??= {})[name] = text;
    }
  }
  for (const name in headers) {
    if (!name.startsWith(METADATA_PREFIX)) continue;
    const value = headers[name];
    if (typeof value === 'string') (out ??= {})[name.slice(METADATA_PREFIX.length)] = value.slice(0, MAX_VALUE);
  }
  return out ?? NO_METADATA;
}

function bounded(value: unknown): string | undefined {
  if (typeof value === 'string') return value === '' ? undefined : value.slice(0, MAX_VALUE);
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** Characters of text in the prompt: messages' contents (strings or text parts), system, input, prompt. */
export function promptLength(body: Readonly<Record<string, unknown>>): number {
  let n = textLength(body.system) + textLength(body.input) + textLength(body.prompt);
  if (Array.isArray(body.messages)) for (const m of body.messages) if (m !== null && typeof m === 'object') n += textLength((m as Record<string, unknown>).content);
  return n;
}

function textLength(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (!Array.isArray(value)) return 0;
  let n = 0;
  for (const part of value) {
    if (typeof part === 'string') n += part.length;
    else if (part !== null && typeof part === 'object' && typeof (part as Record<string, unknown>).text === 'string') n += ((part as Record<string, unknown>).text as string).length;
  }
  return n;
}
