import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { GatewayError } from '../errors/gateway-error.ts';

/** Largest upstream body read into memory (non-streaming answers, error bodies). */
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
 */
export function bufferedDispatch(dispatcher: Dispatcher, options: Dispatcher.DispatchOptions, signal: AbortSignal, maxBytes: number): Promise<BufferedResponse> {
  return new Promise<BufferedResponse>((resolve, reject) => {
    dispatcher.dispatch(options, new BufferingHandler(resolve, reject, signal, maxBytes));
  });
}

class BufferingHandler implements Dispatcher.DispatchHandler {
  readonly #resolve: (value: BufferedResponse) => void;
  readonly #reject: (reason: unknown) => void;
  readonly #signal: AbortSignal;
  readonly #maxBytes: number;
  #controller: Dispatcher.DispatchController | undefined;
  #status = 0;
  #headers: IncomingHttpHeaders = {};
  #chunks: Buffer[] = [];
  #size = 0;
  readonly #onAbort = (): void => this.#controller?.abort(this.#signal.reason instanceof Error ? this.#signal.reason : new Error('aborted'));

  constructor(resolve: (value: BufferedResponse) => void, reject: (reason: unknown) => void, signal: AbortSignal, maxBytes: number) {
    this.#resolve = resolve;
    this.#reject = reject;
    this.#signal = signal;
    this.#maxBytes = maxBytes;
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
    this.#size += chunk.length;
    if (this.#size > this.#maxBytes) {
      controller.abort(new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `The provider sent a body larger than ${this.#maxBytes} bytes.` }));
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    const body = this.#chunks.length === 1 ? this.#chunks[0] as Buffer : Buffer.concat(this.#chunks, this.#size);
    this.#resolve({ status: this.#status, headers: this.#headers, body });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.#signal.removeEventListener('abort', this.#onAbort);
    this.#reject(error);
  }
}
