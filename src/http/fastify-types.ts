import type { Principal } from '../domain/principal.ts';
import type { ErrorDialect } from '../errors/envelopes.ts';
import type { AccessConfig } from './route-access.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the area's auth hook when the caller sent a valid key. */
    principal: Principal | undefined;
    /** The request body exactly as received (the AI area's JSON routes only). */
    rawBody: Buffer | undefined;
  }
  interface FastifyContextConfig extends AccessConfig {
    /** The dialect errors are answered in; by URL when unset. */
    dialect?: ErrorDialect;
  }
}
