/**
 * auth.jwt: bearer tokens issued by an identity provider (seed 001), checked by auth/jwt-verifier.ts. Off unless
 * a secret (HS*) or a JWKS URL (RS*, PS*, ES*, EdDSA) is set; the algorithms default to what those keys can verify.
 */
import { z } from 'zod';

/** The JWS algorithms a token may be signed with. "none" is not among them and never will be. */
export const JWT_ALGORITHMS = [
  'HS256', 'HS384', 'HS512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA',
] as const;
export type JwtAlgorithm = typeof JWT_ALGORITHMS[number];

/** The HMAC algorithms, verified with auth.jwt.secret; every other one with a key from the JWKS. */
export function isHmacAlgorithm(alg: string): boolean {
  return alg === 'HS256' || alg === 'HS384' || alg === 'HS512';
}

const algorithm = z.enum(JWT_ALGORITHMS, {
  error: (issue) => (typeof issue.input === 'string' && issue.input.toLowerCase() === 'none'
    ? '"none" (unsigned tokens) is never accepted'
    : `one of ${JWT_ALGORITHMS.join(', ')}`),
});

/** A top-level claim name, or a dotted path into nested objects ("realm_access.roles") when no claim has the whole name. */
const claimName = z.string().min(1).max(200);
const oneOrMore = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const jwtClaimsSchema = z.object({
  user: claimName.default('sub'),
  workspace: claimName.default('workspace_id'),
  roles: claimName.default('roles'),
  scopes: claimName.default('scope'),
  tier: claimName.default('tier'),
}).strict();

export const jwtSchema = z.object({
  /** Defaults to on when secret or jwksUrl is set; true without either is refused. */
  enabled: z.boolean().optional(),
  /**
   * The HS256/384/512 key, as is (the loader fills it from JWT_SECRET_KEY). RFC 7518 §3.2 asks for at least as many
   * bits as the hash, so shorter secrets, which can be brute-forced from one token, are refused.
   */
  secret: z.string().min(32, 'at least 32 characters (256 bits), as RFC 7518 requires for HS256').optional(),
  /** Defaults to HS256 with a secret, RS256 and ES256 with a JWKS URL (both with both). */
  algorithms: z.array(algorithm).min(1).optional(),
  /** Any http(s) host: z.httpUrl() would refuse in-cluster names such as http://keycloak:8080. */
  jwksUrl: z.url({ protocol: /^https?$/, error: 'an http:// or https:// URL' }).optional(),
  /** Accepted `iss` values; unchecked when unset. */
  issuer: oneOrMore.optional(),
  /** Accepted `aud` values (one must appear in the token's); unchecked when unset. */
  audience: oneOrMore.optional(),
  /** Leeway for exp and nbf, for clocks that drift apart. */
  clockSkewSeconds: z.number().int().min(0).max(300).default(30),
  /** How long fetched keys are used before the JWKS is fetched again (they are kept past that if the fetch fails). */
  jwksCacheSeconds: z.number().int().positive().default(600),
  /**
   * At most one JWKS fetch per this interval, whatever asks for it: a token with an unknown kid refreshes the set,
   * and a spray of made-up kids must not turn into a spray of fetches at the identity provider.
   */
  jwksMinRefreshIntervalSeconds: z.number().int().positive().max(3600).default(30),
  jwksTimeoutMs: z.number().int().positive().max(60_000).default(2000),
  /** Longer tokens are refused before any parsing. */
  maxTokenBytes: z.number().int().min(256).max(1024 * 1024).default(8192),
  claims: jwtClaimsSchema.prefault({}),
}).strict().superRefine((jwt, ctx) => {
  const keyed = jwt.secret !== undefined || jwt.jwksUrl !== undefined;
  if (jwt.enabled === true && !keyed) {
    ctx.addIssue({ code: 'custom', path: ['enabled'], message: 'JWT authentication needs a secret or a jwksUrl' });
  }
  for (const [i, alg] of (jwt.algorithms ?? []).entries()) {
    if (isHmacAlgorithm(alg) && jwt.secret === undefined) {
      ctx.addIssue({ code: 'custom', path: ['algorithms', i], message: `${alg} needs a secret` });
    } else if (!isHmacAlgorithm(alg) && jwt.jwksUrl === undefined) {
      ctx.addIssue({ code: 'custom', path: ['algorithms', i], message: `${alg} needs a jwksUrl to fetch its public keys from` });
    }
  }
}).transform((jwt) => ({
  ...jwt,
  enabled: jwt.enabled ?? (jwt.secret !== undefined || jwt.jwksUrl !== undefined),
  algorithms: jwt.algorithms ?? defaultAlgorithms(jwt.secret !== undefined, jwt.jwksUrl !== undefined),
}));

export type JwtConfig = z.output<typeof jwtSchema>;
export type JwtClaimNames = z.output<typeof jwtClaimsSchema>;

function defaultAlgorithms(secret: boolean, jwks: boolean): JwtAlgorithm[] {
  return [...(secret ? ['HS256' as const] : []), ...(jwks ? ['RS256' as const, 'ES256' as const] : [])];
}
