import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { AuditLog } from '../audit/audit-log.ts';
import { errorBody, type ErrorDialect } from '../errors/envelopes.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { refusalAction, refusalEvent } from './refusal-event.ts';

/** Fastify's own error codes that are the caller's fault, and what we call them. */
const FASTIFY_CODES: Readonly<Record<string, GatewayError['code']>> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'SB_BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'SB_UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'SB_INVALID_REQUEST',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'SB_INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'SB_INVALID_JSON',
};

/** Turns any error into an SB_* answer in the route's dialect; internals are logged, never sent. */
export function toGatewayError(err: FastifyError | Error, request: FastifyRequest): GatewayError {
  if (err instanceof GatewayError) {
    if (err.code === 'SB_INTERNAL' && err.cause !== undefined) request.log.error({ err: err.cause, reqId: request.id }, 'unhandled error');
    return err;
  }
  const fe = err as FastifyError;
  if (fe.validation !== undefined && fe.validation.length > 0) {
    const first = fe.validation[0];
    const missing = (first?.params as { missingProperty?: string } | undefined)?.missingProperty;
    const path = [first?.instancePath.replace(/^\//, '').replaceAll('/', '.'), missing].filter((p) => p !== undefined && p !== '').join('.');
    return new GatewayError('SB_INVALID_REQUEST', { param: path || undefined, message: `Invalid request: ${path || 'body'} ${first?.message ?? 'is invalid'}.` });
  }
  const mapped = fe.code === undefined ? undefined : FASTIFY_CODES[fe.code];
  if (mapped !== undefined) return new GatewayError(mapped);
  if (fe.statusCode !== undefined && fe.statusCode >= 400 && fe.statusCode < 500) {
    return new GatewayError('SB_INVALID_REQUEST', { status: fe.statusCode, message: 'The request could not be read.' });
  }
  request.log.error({ err, reqId: request.id }, 'unhandled error');
  return new GatewayError('SB_INTERNAL');
}

export function dialectOf(request: FastifyRequest): ErrorDialect {
  const configured = request.routeOptions.config.dialect;
  if (configured !== undefined) return configured;
  const url = request.url;
  if (url.startsWith('/v1/messages')) return 'anthropic';
  return url.startsWith('/v1/') ? 'openai' : 'generic';
}

/** Answers `err`; a refusal of the caller is also logged and, given `audit`, recorded as an audit event. */
export function sendError(err: GatewayError, request: FastifyRequest, reply: FastifyReply, audit?: AuditLog): FastifyReply {
  const dialect = dialectOf(request);
  // Errors raised outside every area (unknown routes) never passed an area's hook, which sets these.
  if (!reply.hasHeader('x-request-id')) {
    reply.header('x-request-id', request.id);
    if (dialect === 'anthropic') reply.header('request-id', request.id);
  }
  if (err.headers !== undefined) reply.headers(err.headers);
  if (err.retryAfter !== undefined) reply.header('retry-after', String(Math.ceil(err.retryAfter)));
  reply.header('x-switchboard-error-code', err.code);
  const refused = refusalAction(err.code);
  if (refused !== undefined) logRefusal(err, request, refused, audit);
  // Tell the SDKs not to retry what cannot succeed on retry, whatever the status suggests.
  if (!err.retryable && err.status >= 500) reply.header('x-should-retry', 'false');
  return reply.code(err.status).header('content-type', 'application/json; charset=utf-8').send(errorBody(err, dialect, request.id));
}

/**
 * An auth failure or a limit or budget refusal (refusal-event.ts), as an "access_refused" line (info) — the code,
 * the key and workspace when known, the client address, the route; never the presented key or token — and as an
 * audit event with the same facts.
 */
function logRefusal(err: GatewayError, request: FastifyRequest, action: string, audit: AuditLog | undefined): void {
  const principal = request.principal;
  const route = request.routeOptions.url ?? request.url.split('?')[0] ?? '';
  request.log.info({
    event: 'access_refused', code: err.code, status: err.status, requestId: request.id, ip: request.ip,
    method: request.method, route,
    ...(principal === undefined ? {} : { keyId: principal.keyId, workspaceId: principal.workspaceId }),
  }, `refused: ${err.code}`);
  audit?.record(refusalEvent(err, request, action, route));
}
