import { finished, type Readable } from 'node:stream';
import { GatewayError } from '../errors/gateway-error.ts';
import { UNBOUNDED_BUDGET, type ByteBudget } from './byte-budget.ts';

/**
 * Reads a whole upstream body; a body over `maxBytes` is a bad response (`limitName` says in the message where
 * that bound is set), not an out-of-memory. Each chunk is taken from the shared `budget`, and given back however
 * the body ends; a body that does not fit is refused with SB_GATEWAY_OVERLOADED.
 */
export function readBody(body: Readable | Buffer, provider: string, maxBytes: number, budget: ByteBudget = UNBOUNDED_BUDGET, limitName?: string): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return Promise.resolve(body);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    const refuse = (err: GatewayError): void => {
      refused = true;
      body.destroy(err);
    };
    body.on('data', (chunk: Buffer) => {
      // destroy() reports its error on a later tick; chunks already read by then are not kept.
      if (refused) return;
      const next = size + chunk.length;
      if (next > maxBytes) {
        const where = limitName === undefined ? '' : ` (${limitName})`;
        return refuse(new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${provider}" sent a body larger than ${maxBytes} bytes${where}.` }));
      }
      if (!budget.take(chunk.length)) return refuse(budget.exhausted());
      size = next;
      chunks.push(chunk);
    });
    // finished() reports the end, an error or a close before the end (ERR_STREAM_PREMATURE_CLOSE) exactly once.
    finished(body, (err) => {
      budget.release(size);
      if (err !== undefined && err !== null) return reject(err);
      resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size));
    });
  });
}

/** Parses JSON from a provider; malformed bodies become SB_UPSTREAM_BAD_RESPONSE. */
export function parseUpstreamJson(bytes: Buffer, provider: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(bytes.toString('utf8'));
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // fall through to the error below
  }
  throw new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${provider}" sent a response that is not a JSON object.` });
}
