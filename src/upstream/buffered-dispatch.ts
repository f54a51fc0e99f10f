import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors/gateway-error.ts';
import { UNBOUNDED_BUDGET, type ByteBudget } from './byte-budget.ts';

/** Default bound on one upstream body read into memory (providers[].maxResponseBytes). */
export const MAX_UPSTREAM_BODY = 64 * 1024 * 1024;

export interface BufferedResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
}

/**
 * Sends a request with undici's handler API and collects the whole answer into one Buffer. For the JSON
 * (non-streaming) path this skips the Readable that `request()` builds around every body, which showed as a
 * measurable share of CPU per request in the chat benchmark (bench/chat.ts, c=64).
 *
 * A body over `maxBytes` fails with SB_UPSTREAM_BAD_RESPONSE (`limitName` says in the message where that bound
 * is set); a body that does not fit in the shared `budget` fails with SB_GATEWAY_OVERLOADED.
 */
export function bufferedDispatch(
  dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, maxBytes: number,
  budget: ByteBudget = UNBOUNDED_BUDGET, limitName?: string,
): Promise<BufferedResponse> {
  return new Promise<BufferedResponse>((resolve, reject) => {
    dispatcher.dispatch(options, new BufferingHandler(resolve, reject, signal, maxBytes, budget, limitName));
  });
}

class BufferingHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (value: BufferedResponse) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #signal: AbortSignal;
  readonly #maxBytes: number;
  readonly #budget: ByteBudget;
  readonly #limitName: string | undefined;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  /** Bytes collected so far, all of them taken from the budget. */
  #size = 0;
  readonly #onAbort = (): void => this.#controller?.abort(this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted'));

  constructor(resolve: (value: BufferedResponse) => void, reject: (reason: unknown) => void, signal: AbortSignal, maxBytes: number, budget: ByteBudget, limitName: string | undefined) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#maxBytes = maxBytes;
    this.#budget = budget;
    this.#limitName = limitName;
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#signal.aborted) this.#onAbort();
    else this.#signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#status = statusCode;
    this.#headers = headers;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // undici delivers no data after abort() (it calls onResponseError at once), so a refused chunk is the last.
    const size = this.#size + chunk.length;
    if (size > this.#maxBytes) return controller.abort(this.#tooLarge());
    if (!this.#budget.take(chunk.length)) return controller.abort(this.#budget.exhausted());
    this.#size = size;
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    const size = this.#release();
    const body = this.#chunks.length === 1 ? this.#chunks[0] as Buffer : Buffer.concat(this.#chunks, size);
    this.#chunks = [];
    this.#resolve({ status: this.#status, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#release();
    this.#chunks = [];
    this.#reject(error);
  }

  /**
   * Gives the collected bytes back to the budget, once: the budget bounds reading, and from here on the body is
   * one Buffer on its way to the caller. Returns how many there were.
   */
  #release(): number {
    const size = this.#size;
    this.#size = 0;
    this.#budget.release(size);
    return size;
  }

  #tooLarge(): GatewayError {
    const where = this.#limitName === undefined ? '' : ` (${this.#limitName})`;
    // The same request would get the same answer: not worth a retry.
    return new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { retryable: false, message: `The provider sent a body larger than ${this.#maxBytes} bytes${where}.` });
  }
}
