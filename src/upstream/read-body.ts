import type { Readable } from 'node:stream';
import { GatewayError } from '../errors/gateway-error.ts';

/** Reads a whole upstream body; a body over `maxBytes` is a bad response, not an out-of-memory. */
export function readBody(body: Readable | Buffer, provider: string, maxBytes: number): Promise<Buffer> {
  if (Buffer.isBuffer(body)) return Promise.resolve(body);
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    body.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        body.destroy(new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message: `Provider "${provider}" sent a body larger than ${maxBytes} bytes.` }));
        return;
      }
      chunks.push(chunk);
    });
    body.once('end', () => resolve(chunks.length === 1 ? chunks[0] as Buffer : Buffer.concat(chunks, size)));
    body.once('error', reject);
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
