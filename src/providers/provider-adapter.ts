/**
 * The provider seam: one small interface every provider implements (openai, anthropic, azure-openai,
 * openai-compatible, mock). Adapters speak their own wire format; translation between formats happens
 * outside them (src/providers/formats), so an adapter only knows how to reach its upstream.
 */
import type { Readable } from 'node:stream';

import type { WireFormat } from '../domain/wire-format.ts';
export type { WireFormat };
export type ProviderKind = 'openai' | 'anthropic' | 'azure-openai' | 'openai-compatible' | 'mock';
/**
 * Operations in the adapter's own format: openai-format adapters do chat/embeddings, anthropic-format ones
 * messages/count_tokens; OpenAI itself also serves the Responses API ("responses"), which other OpenAI-compatible
 * vendors and Azure deployments may lack, so only the openai kind claims it.
 */
export type Operation = 'chat' | 'embeddings' | 'messages' | 'count_tokens' | 'responses';

export interface UpstreamRequest {
  readonly operation: Operation;
  /** Upstream model id (already resolved from aliases). */
  readonly model: string;
  /** Serialized JSON body in the adapter's own format, model field included. */
  readonly body: Buffer | string;
  readonly stream: boolean;
  /** Extra headers to forward (e.g. anthropic-beta), already filtered by the caller. */
  readonly headers: Readonly<Record<string, string>>;
  /** Aborted when the caller goes away or the request deadline passes. */
  readonly signal: AbortSignal;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * The response body: a stream of bytes (must be consumed or destroyed), or, for non-streaming requests,
   * adapters may answer the whole body at once.
   */
  readonly body: Readable | Buffer;
}

export interface ProviderAdapter {
  /** Provider name from config (e.g. "openai", "groq", "mock"). */
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  /**
   * Sends one request upstream. Resolves as soon as the response status and headers arrive, whatever the status.
   * Rejects with GatewayError SB_UPSTREAM_TIMEOUT or SB_UPSTREAM_UNREACHABLE when no response arrives.
   */
  send(request: UpstreamRequest): Promise<UpstreamResponse>;
  /**
   * The model ids the provider itself says it serves (its own list endpoint), or undefined when it offers no
   * list or the list could not be read. Never rejects: GET /v1/models keeps the last good list instead.
   */
  listModels(signal: AbortSignal): Promise<readonly string[] | undefined>;
  close(): Promise<void>;
  /** How the adapter reaches its upstream now, when that is more than a base URL (embedded mode: its sidecar). */
  modeStatus?(): ModeStatus;
}

/** Plain data for /api/health/overview: where traffic goes and, for a sidecar, its lifecycle. */
export interface ModeStatus {
  readonly mode: 'direct' | 'proxy' | 'embedded';
  /** Where requests go now: the sidecar, the provider's own API (fallback), or nowhere (SB_SIDECAR_UNAVAILABLE). */
  readonly route: 'sidecar' | 'direct' | 'unavailable' | 'proxy';
  readonly sidecar?: Readonly<Record<string, unknown>>;
}
