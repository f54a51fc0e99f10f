import { GatewayError } from '../errors/gateway-error.ts';

/**
 * Bytes of upstream answers held in memory at once, across every provider. The per-answer bound
 * (providers[].maxResponseBytes) times the connections of every provider is far more than a process has, so
 * buffering code takes each chunk from this budget and gives its total back when the answer ends or fails.
 * Taking is one add and one compare: it runs for every chunk of every answer.
 */
export class ByteBudget {
  readonly limit: number;
  #used = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Bytes currently taken. */
  get used(): number {
    return this.#used;
  }

  /** Takes `bytes` if they fit and says whether they did; when they do not, nothing is taken. */
  take(bytes: number): boolean {
    const used = this.#used + bytes;
    if (used > this.limit) return false;
    this.#used = used;
    return true;
  }

  /** Gives back bytes taken before. */
  release(bytes: number): void {
    this.#used -= bytes;
  }

  /** The error for an answer refused because the budget ran out: the gateway's overload, worth a retry. */
  exhausted(): GatewayError {
    return new GatewayError('SB_GATEWAY_OVERLOADED', {
      message: `The gateway is already buffering as many upstream answers as server.maxBufferedResponseBytes (${this.limit} bytes) allows; send the request again in a few seconds.`,
    });
  }
}

/** For callers that bound each body on its own only (model lists, tests): never runs out. */
export const UNBOUNDED_BUDGET = new ByteBudget(Number.POSITIVE_INFINITY);
