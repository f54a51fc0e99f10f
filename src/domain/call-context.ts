import type { Principal } from './principal.ts';
import type { WireFormat } from './wire-format.ts';
import type { Endpoint } from './usage-record.ts';
import type { RequestFacts } from './request-facts.ts';
import type { RouteTags } from './route-tags.ts';
import type { ResponsesTurn } from './responses-turn.ts';

/** Everything the executor needs to know about one inbound AI request; plain data, built by the HTTP layer. */
export interface CallContext {
  readonly requestId: string;
  readonly principal: Principal;
  readonly endpoint: Endpoint;
  /** The dialect the caller speaks (and is answered in). */
  readonly callerFormat: WireFormat;
  /** The parsed JSON body (validated for the fields the gateway reads). */
  readonly body: Readonly<Record<string, unknown>>;
  /** The body exactly as received, forwarded as-is when no change is needed. */
  readonly raw: Buffer;
  /** The model the caller named ("" when routing chooses: POST /api/route without one). */
  readonly model: string;
  readonly stream: boolean;
  /** What routing reads: agent type, workspace, user, session, metadata, request type, prompt length. */
  readonly facts: RequestFacts;
  /** Set by the executor once routing decided, when the decision has something to say in usage records. */
  readonly route?: RouteTags;
  /** Caller headers that may travel upstream (anthropic-beta, anthropic-version), lower-case names. */
  readonly forwardHeaders: Readonly<Record<string, string>>;
  /** performance.now() when the request arrived. */
  readonly startedAt: number;
  /** performance.now() by which the whole request must be over (server.requestTimeoutMs); retries never wait past it. */
  readonly deadlineAt: number;
  /** Wall-clock start, epoch milliseconds (made into ISO-8601 only when a record is written). */
  readonly startedMs: number;
  /** Aborted when the caller disconnects or the request deadline passes. */
  readonly signal: AbortSignal;
  /** Set on POST /v1/responses: body and raw are then the chat completion it was translated to. */
  readonly responses?: ResponsesTurn;
}
