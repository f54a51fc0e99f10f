import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import { GatewayError } from './errors/gateway-error.ts';
import type { AppDeps } from './http/app-deps.ts';
import { sendError, toGatewayError } from './http/error-handler.ts';
import './http/fastify-types.ts';
import { adminPlugin } from './http/plugins/admin-plugin.ts';
import { aiPlugin } from './http/plugins/ai-plugin.ts';
import { operationsPlugin } from './http/plugins/operations-plugin.ts';
import { uuidV7 } from './domain/uuid-v7.ts';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Builds the HTTP application without listening; tests call app.inject() or listen on port 0. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: !deps.config.server.accessLog }),
    bodyLimit: deps.config.server.bodyLimitBytes,
    requestIdHeader: false,
    // A caller's own x-request-id is kept when it is sane, so its logs and ours share one id. Ours are UUIDv7:
    // time-ordered (and increasing within a process), so usage rows indexed by request id are appended instead of
    // scattered (bench: usage-insert).
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : uuidV7();
    },
    // Requests that arrive while closing get SB_SHUTTING_DOWN in their dialect (below), not fastify's own body.
    return503OnClosing: false,
    // Without access logs, no per-request child logger (it showed in the chat benchmark's profile); the few
    // request-scoped log lines name the request id themselves.
    ...(deps.config.server.accessLog ? {} : { childLoggerFactory: (logger: FastifyBaseLogger) => logger }),
    forceCloseConnections: 'idle',
    // request.ip: the connection's address, or X-Forwarded-For's client when the connection is a trusted proxy.
    trustProxy: deps.config.server.trustedProxies.length > 0 ? [...deps.config.server.trustedProxies] : false,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });
  app.decorateRequest('principal', undefined);
  app.decorateRequest('rawBody', undefined);
  await app.register(swagger, { openapi: { info: { title: 'Switchboard', version: deps.version }, components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } } } });
  app.setErrorHandler((err: Error, request, reply) => sendError(toGatewayError(err, request), request, reply, deps.audit));
  // Outside every area no body is read: an unknown route answers 404 whatever it was sent.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.setNotFoundHandler((request, reply) => sendError(new GatewayError('SB_NOT_FOUND', { message: `No route ${request.method} ${request.url.split('?')[0]?.slice(0, 200)}. GET /docs lists every route.` }), request, reply, deps.audit));

  // One plugin per area, each with its own body parsers and auth requirement (fastify encapsulation).
  await app.register(aiPlugin(deps));
  await app.register(adminPlugin(deps));
  await app.register(operationsPlugin(deps));
  return app;
}
