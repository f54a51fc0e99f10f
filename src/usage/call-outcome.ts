import type { RouteTags } from '../domain/route-tags.ts';
import type { Pricing } from '../config/schema.ts';
import type { TokenUsage } from '../domain/token-usage.ts';
import type { Endpoint, UsageKind, UsageOutcome } from '../domain/usage-record.ts';

/**
 * How one upstream attempt, or one whole request, ended: plain data handed by the executor to the ledger,
 * which prices it and turns it into a usage record. Built with every field in the same order every time
 * (one hidden class on the hot path).
 */
export interface CallOutcome {
  readonly kind: UsageKind;
  /** 0 for the request, 1.. for attempts in the order they were made. */
  readonly attempt: number;
  readonly requestId: string;
  readonly keyId: string | null;
  readonly endpoint: Endpoint;
  readonly stream: boolean;
  readonly modelRequested: string;
  /** Provider name; null when no provider was chosen (unknown model, refused request). */
  readonly provider: string | null;
  /** Upstream model id. */
  readonly modelServed: string | null;
  /** The catalogue entry's price, when it sets one; otherwise the price table is asked. */
  readonly pricing: Pricing | undefined;
  /** Epoch milliseconds. */
  readonly startedMs: number;
  readonly latencyMs: number;
  /** HTTP status answered (request) or received (attempt); 0 when no response arrived. */
  readonly status: number;
  readonly outcome: UsageOutcome;
  readonly errorCode: string | null;
  readonly usage: Readonly<TokenUsage>;
  readonly ttftMs: number | null;
  /** See UsageRecord.retries and fallbackChain. */
  readonly retries: number;
  readonly fallbackChain: readonly string[];
  /** What the routing decision said (workspace, agent, rule, experiment, variant); none: NO_ROUTE_TAGS. */
  readonly route?: RouteTags | undefined;
}
