/**
 * Worker thread of token-count-pool.ts: counts request bodies off the main event loop with the same
 * countMessageTokens the main thread uses inline. One request at a time; the pool never sends another
 * before the answer.
 */
import { parentPort } from 'node:worker_threads';
import { countMessageTokens } from './token-counter.ts';

/** Sent by the pool: a body as structured-cloned parsed JSON. */
export interface CountRequest {
  readonly id: number;
  readonly body: Readonly<Record<string, unknown>>;
}

/** Sent back: the count, or the message of what the counter threw. */
export type CountReply = { readonly id: number; readonly tokens: number } | { readonly id: number; readonly error: string };

function answer(request: CountRequest): CountReply {
  try {
    return { id: request.id, tokens: countMessageTokens(request.body) };
  } catch (error) {
    return { id: request.id, error: error instanceof Error ? error.message : String(error) };
  }
}

const port = parentPort;
if (port === null) throw new Error('token-count-worker.ts runs only as a worker thread (see token-count-pool.ts)');
port.on('message', (request: CountRequest) => port.postMessage(answer(request)));
