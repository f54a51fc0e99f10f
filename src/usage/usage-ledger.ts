import type { UsageRecord } from '../domain/usage-record.ts';
import { NO_ROUTE_TAGS } from '../domain/route-tags.ts';
import type { CallOutcome } from './call-outcome.ts';
import type { PriceBook } from './price-book.ts';
import { uuidV7 } from '../domain/uuid-v7.ts';

/** Something that wants every finished record: the usage writer, metrics; later budgets and audit. */
export type UsageListener = (record: UsageRecord) => void;

/**
 * The one place outcomes become usage records: prices each outcome, gives it an id and a time, and hands the
 * record to every listener. Listeners run synchronously on the response path, so each must be cheap (an
 * array push, a counter add); anything slow is theirs to defer.
 */
export class UsageLedger {
  readonly #prices: PriceBook;
  readonly #listeners: readonly UsageListener[];
  /** The last start time formatted: a request and its attempt, and requests arriving together, share a millisecond. */
  #lastMs = Number.NaN;
  #lastIso = '';

  constructor(prices: PriceBook, listeners: readonly UsageListener[]) {
    this.#prices = prices;
    this.#listeners = listeners;
  }

  record(o: CallOutcome): void {
    const record = this.#toRecord(o);
    for (const listener of this.#listeners) listener(record);
  }

  #cost(o: CallOutcome): number {
    if (o.modelServed === null) return 0;
    return o.pricing === undefined ? this.#prices.cost(o.modelServed, o.usage) : this.#prices.costWith(o.pricing, o.usage);
  }

  #iso(ms: number): string {
    if (ms !== this.#lastMs) {
      this.#lastIso = new Date(ms).toISOString();
      this.#lastMs = ms;
    }
    return this.#lastIso;
  }

  #toRecord(o: CallOutcome): UsageRecord {
    const u = o.usage;
    const route = o.route ?? NO_ROUTE_TAGS;
    return {
      id: uuidV7(), requestId: o.requestId, kind: o.kind, attempt: o.attempt, startedAt: this.#iso(o.startedMs),
      keyId: o.keyId, endpoint: o.endpoint, stream: o.stream, provider: o.provider, modelRequested: o.modelRequested,
      modelServed: o.modelServed, status: o.status, outcome: o.outcome, errorCode: o.errorCode, inputTokens: u.inputTokens,
      outputTokens: u.outputTokens, cachedInputTokens: u.cachedInputTokens, cacheWriteTokens: u.cacheWriteTokens,
      reasoningTokens: u.reasoningTokens, costUsd: this.#cost(o), latencyMs: round(o.latencyMs), ttftMs: o.ttftMs === null ? null : round(o.ttftMs),
      workspaceId: route.workspaceId, agentType: route.agentType, userId: route.userId, ruleId: route.ruleId, experimentId: route.experimentId, variant: route.variant,
      retries: o.retries, fallbackChain: o.fallbackChain,
    };
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
