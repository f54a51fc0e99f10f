import { isUtf8 } from 'node:buffer';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { GatewayError } from '../errors/gateway-error.ts';

/**
 * JSON is the only body type any route takes. Parses it once, keeping the original bytes so they can be
 * forwarded untouched; invalid UTF-8 and malformed JSON get their own codes instead of a generic 400.
 */
export function registerJsonParser(app: FastifyInstance): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request: FastifyRequest, body: Buffer, done) => {
    if (!isUtf8(body)) return done(new GatewayError('SB_INVALID_UTF8'), undefined);
    request.rawBody = body;
    try {
      done(null, body.length === 0 ? undefined : JSON.parse(body.toString('utf8')));
    } catch (err) {
      done(new GatewayError('SB_INVALID_JSON', { message: `The request body is not valid JSON: ${(err as Error).message}` }), undefined);
    }
  });
}
