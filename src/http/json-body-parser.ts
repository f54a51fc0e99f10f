import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error.ts';

export interface JsonParserOptions {
  /** Keep the body's bytes on request.rawBody, so they can be forwarded untouched (the AI area). */
  readonly keepRaw: boolean;
}

/**
 * Makes JSON the one body type an area takes (its plugin calls this in its own context). Parses it once;
 * invalid UTF-8 and malformed JSON get their own codes instead of a generic 400.
 */
export function registerJsonParser(app: FastifyInstance, options: JsonParserOptions): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (!isUtf8(body)) return done(new GatewayError('SB_INVALID_UTF8'), undefined);
    if (options.keepRaw) request.rawBody = body;
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch (err) {
      done(new GatewayError('SB_INVALID_JSON', { message: `The request body is not valid JSON: ${(err as Error).message}` }), undefined);
    }
  });
}
