import type { Principal } from '../auth/principal.ts';
import type { ErrorDialect } from '../errors/envelopes.ts';

/** Who may call a route: nobody checked, any valid key, or admin keys only. */
export type RouteAuth = 'none' | 'any' | 'admin';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on routes that need a key. */
    principal: Principal | undefined;
    /** The request body exactly as received (JSON routes only). */
    rawBody: Buffer | undefined;
  }
  interface FastifyContextConfig {
    dialect?: ErrorDialect;
    auth?: RouteAuth;
  }
}
