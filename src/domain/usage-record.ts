/**
 * One usage record: plain data, written once, never updated.
 * Every request yields one record of kind "request" (what the caller got) and one of kind "attempt" per
 * upstream call it made (what each provider was asked and billed for).
 */
import type { RouteTags } from './route-tags.ts';

export type UsageKind = 'request' | 'attempt';
export type UsageOutcome = 'ok' | 'error' | 'client_aborted';
export type Endpoint = 'chat' | 'embeddings' | 'messages' | 'count_tokens' | 'responses';

/** With what routing knew and decided (RouteTags: workspace, agent type, user; the rule, experiment and variant). */
export interface UsageRecord extends RouteTags {
  /** Unique id of this record. */
  readonly id: string;
  readonly requestId: string;
  readonly kind: UsageKind;
  /** 0 for the request record, 1.. for attempts in the order they were made. */
  readonly attempt: number;
  /** ISO-8601 time the request (or attempt) started. */
  readonly startedAt: string;
  readonly keyId: string | null;
  readonly endpoint: Endpoint;
  readonly stream: boolean;
  /** Provider name from config, null when no provider was reached (e.g. an unknown model). */
  readonly provider: string | null;
  readonly modelRequested: string;
  /** The upstream model id actually called. */
  readonly modelServed: string | null;
  /** HTTP status answered (request) or received (attempt); 0 when no response arrived. */
  readonly status: number;
  readonly outcome: UsageOutcome;
  /** SB_* code when outcome is not ok. */
  readonly errorCode: string | null;
  /** Uncached input tokens. */
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Input tokens read from the provider's prompt cache. */
  readonly cachedInputTokens: number;
  /** Input tokens written to the provider's prompt cache. */
  readonly cacheWriteTokens: number;
  /** Output tokens spent on reasoning: a part of outputTokens, not added to it. */
  readonly reasoningTokens: number;
  /** Cost in USD from the pricing table; 0 when the model has no price. */
  readonly costUsd: number;
  readonly latencyMs: number;
  /** Time to first byte of the answer body; null when none arrived. */
  readonly ttftMs: number | null;
  /** Request: upstream attempts beyond the first (retries of a target and fallbacks to the next). Attempt: attempts made before it. */
  readonly retries: number;
  /**
   * Request: the targets tried, in order, as "provider/model" labels (the last one answered, or failed last); empty
   * when none was tried. Attempt: empty (its own target is provider and modelServed).
   */
  readonly fallbackChain: readonly string[];
}
