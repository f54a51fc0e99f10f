/**
 * Bearer JWTs from an identity provider (seed 001): checked with jose against auth.jwt's secret (HS*) or the
 * provider's JWKS (RS*, PS*, ES*, EdDSA), then mapped to a Principal by jwt-claims.ts. Every refusal is a
 * GatewayError whose message says what was wrong and never repeats the token or a key.
 */
import { createLocalJWKSet, errors, jwtVerify, type CompactJWSHeaderParameters, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Principal } from '../domain/principal.ts';
import { isHmacAlgorithm, type JwtAlgorithm, type JwtClaimNames, type JwtConfig } from '../config/jwt-schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { principalFromClaims } from './jwt-claims.ts';

export interface JwtVerifierOptions {
  /** The HS* key; needed when `algorithms` has an HS* one. */
  readonly secret?: string | undefined;
  /** Never empty; the only algorithms a token may use. Passing them to jose is what refuses "none" and confusion. */
  readonly algorithms: readonly JwtAlgorithm[];
  /** Where the public keys are; needed when `algorithms` has an asymmetric one. */
  readonly jwksUrl?: string | undefined;
  readonly issuer?: string | readonly string[] | undefined;
  readonly audience?: string | readonly string[] | undefined;
  readonly clockSkewSeconds: number;
  readonly jwksCacheSeconds: number;
  readonly jwksMinRefreshIntervalSeconds: number;
  readonly jwksTimeoutMs: number;
  readonly maxTokenBytes: number;
  readonly claims: JwtClaimNames;
}

/** The verifier auth.jwt asks for, or undefined when JWT authentication is off (no secret and no jwksUrl). */
export function createJwtVerifier(config: JwtConfig): JwtVerifier | undefined {
  return config.enabled ? new JwtVerifier(config) : undefined;
}

/**
 * Three base64url parts, the signature not empty. Refuses most garbage (and every unsigned token) without a JSON
 * parse; jose still checks everything itself.
 */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** A JWKS is a few keys; anything much larger is not one, and is not held in memory. */
const MAX_JWKS_BYTES = 1024 * 1024;

export class JwtVerifier {
  readonly #options: JwtVerifierOptions;
  readonly #secret: Uint8Array | undefined;
  readonly #jwks: RemoteKeySet | undefined;

  constructor(options: JwtVerifierOptions) {
    if (options.algorithms.length === 0) throw new RangeError('JwtVerifier: algorithms must not be empty');
    const hmac = options.algorithms.some(isHmacAlgorithm);
    const asymmetric = options.algorithms.some((alg) => !isHmacAlgorithm(alg));
    if (hmac && options.secret === undefined) throw new RangeError('JwtVerifier: an HS* algorithm needs a secret');
    if (asymmetric && options.jwksUrl === undefined) throw new RangeError('JwtVerifier: an asymmetric algorithm needs a jwksUrl');
    this.#options = options;
    // Each key serves only its own kind of algorithm: an HS* token is never checked against a JWKS key (whose
    // "secret" would be public), and an RS* token never against the secret.
    this.#secret = hmac && options.secret !== undefined ? new TextEncoder().encode(options.secret) : undefined;
    this.#jwks = asymmetric && options.jwksUrl !== undefined
      ? new RemoteKeySet(new URL(options.jwksUrl), {
        cacheMs: options.jwksCacheSeconds * 1000,
        minRefreshIntervalMs: options.jwksMinRefreshIntervalSeconds * 1000,
        timeoutMs: options.jwksTimeoutMs,
      })
      : undefined;
  }

  /** The Principal the token proves, frozen; or throws SB_AUTH_INVALID_TOKEN, _EXPIRED_TOKEN or _JWKS_UNAVAILABLE. */
  async verify(token: string): Promise<Principal> {
    // Before any other work, so an oversized header costs nothing. The prefilter admits ASCII only, so length is bytes.
    if (token.length > this.#options.maxTokenBytes) {
      throw invalid(`The token is longer than ${this.#options.maxTokenBytes} bytes (auth.jwt.maxTokenBytes).`);
    }
    if (!COMPACT_JWS.test(token)) {
      throw invalid('The token is not a signed JWT: expected three base64url parts separated by dots, the last one the signature.');
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.#key, {
        algorithms: [...this.#options.algorithms],
        issuer: copyOf(this.#options.issuer),
        audience: copyOf(this.#options.audience),
        clockTolerance: this.#options.clockSkewSeconds,
      }));
    } catch (err) {
      throw toGatewayError(err);
    }
    return principalFromClaims(payload, this.#options.claims);
  }

  /** jose calls this once the header is decoded and its alg is known to be allowed. */
  readonly #key = async (header: CompactJWSHeaderParameters): Promise<CryptoKey | Uint8Array> => {
    if (isHmacAlgorithm(header.alg)) {
      if (this.#secret === undefined) throw invalid('The token is signed with a shared secret, but none is configured.');
      return this.#secret;
    }
    if (this.#jwks === undefined) throw invalid('The token is signed with a public-key algorithm, but no jwksUrl is configured.');
    return this.#jwks.key(header);
  };
}

interface RemoteKeySetOptions {
  readonly cacheMs: number;
  readonly minRefreshIntervalMs: number;
  readonly timeoutMs: number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/** Why the last fetch failed, in words fit for a caller (no URL: it may carry a credential in its query). */
class JwksFetchError extends Error {}

/**
 * The provider's public keys, fetched on first use and cached. Refetched when the cache is older than cacheMs or a
 * token names a kid the set lacks, but never more than once per minRefreshIntervalMs, counting failed attempts: a
 * stream of made-up kids, or a provider that is down, costs the provider one request per interval. Concurrent
 * callers share one fetch. When a refetch fails, the keys fetched before stay in use.
 */
class RemoteKeySet {
  readonly #url: URL;
  readonly #options: RemoteKeySetOptions;
  #keys: LocalKeySet | undefined;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  #attemptedAt = Number.NEGATIVE_INFINITY;
  /** Set while the last attempt's failure is the latest news about the JWKS. */
  #failure: JwksFetchError | undefined;
  #inflight: Promise<void> | undefined;

  constructor(url: URL, options: RemoteKeySetOptions) {
    this.#url = url;
    this.#options = options;
  }

  async key(header: CompactJWSHeaderParameters): Promise<CryptoKey> {
    if (this.#keys === undefined || Date.now() - this.#fetchedAt >= this.#options.cacheMs) await this.#refresh();
    if (this.#keys === undefined) throw unavailable(this.#failure);
    try {
      return await this.#keys(header);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    }
    // An unknown kid: the provider may have rotated its keys since the last fetch.
    const refreshed = await this.#refresh();
    try {
      return await this.#keys(header);
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err;
    }
    if (this.#failure !== undefined) throw unavailable(this.#failure);
    throw invalid(refreshed
      ? 'The token\'s key id (kid) is not in the JWKS, even after fetching it again.'
      : `The token's key id (kid) is not in the JWKS; it was fetched less than ${this.#options.minRefreshIntervalMs / 1000} s ago, so not again yet.`);
  }

  /** Fetches the set unless that was tried within the interval; joins a fetch under way. Whether one ran. */
  async #refresh(): Promise<boolean> {
    if (this.#inflight === undefined) {
      const now = Date.now();
      if (now - this.#attemptedAt < this.#options.minRefreshIntervalMs) return false;
      this.#attemptedAt = now;
      this.#inflight = this.#fetch().finally(() => { this.#inflight = undefined; });
    }
    await this.#inflight;
    return true;
  }

  /** Never rejects: a failure is kept in #failure for the callers to report. */
  async #fetch(): Promise<void> {
    try {
      this.#keys = createLocalJWKSet(await this.#download());
      this.#fetchedAt = Date.now();
      this.#failure = undefined;
    } catch (err) {
      this.#failure = err instanceof JwksFetchError ? err : new JwksFetchError('the answer is not a JSON Web Key Set', { cause: err });
    }
  }

  async #download(): Promise<JSONWebKeySet> {
    // The timeout covers the connection, the headers and the body alike.
    const signal = AbortSignal.timeout(this.#options.timeoutMs);
    const timedOut = (): JwksFetchError => new JwksFetchError(`no answer within ${this.#options.timeoutMs} ms (auth.jwt.jwksTimeoutMs)`);
    let response: Response;
    try {
      // A redirect is refused, not followed: the configured URL is the one trusted to name keys.
      response = await fetch(this.#url, { signal, redirect: 'error', headers: { accept: 'application/jwk-set+json, application/json' } });
    } catch (err) {
      throw signal.aborted ? timedOut() : new JwksFetchError(`the connection failed (${systemCode(err)})`, { cause: err });
    }
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => undefined);
      throw new JwksFetchError(`it answered HTTP ${response.status}`);
    }
    let text: string;
    try {
      text = await readBounded(response, MAX_JWKS_BYTES);
    } catch (err) {
      throw signal.aborted ? timedOut() : err instanceof JwksFetchError ? err : new JwksFetchError('the answer broke off', { cause: err });
    }
    try {
      return JSON.parse(text) as JSONWebKeySet; // createLocalJWKSet checks the shape
    } catch (err) {
      throw new JwksFetchError('the answer is not JSON', { cause: err });
    }
  }
}

async function readBounded(response: Response, limit: number): Promise<string> {
  if (response.body === null) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > limit) throw new JwksFetchError(`the answer is larger than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** ECONNREFUSED and the like, from undici's cause chain; never the message, which may quote the URL. */
function systemCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return 'network error';
}

function invalid(message: string): GatewayError {
  return new GatewayError('SB_AUTH_INVALID_TOKEN', { message });
}

function unavailable(failure: JwksFetchError | undefined): GatewayError {
  const why = failure === undefined ? '' : `: ${failure.message}`;
  return new GatewayError('SB_AUTH_JWKS_UNAVAILABLE', {
    message: `The token's signing key is not among the cached ones and the JWKS (auth.jwt.jwksUrl) could not be fetched${why}.`,
    ...(failure === undefined ? {} : { cause: failure }),
  });
}

/** jose's errors, in words; jose's own messages are left out, as some quote header values from the token. */
function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  if (err instanceof errors.JWTExpired) return expired('The token has expired (its exp has passed).');
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf' && err.reason === 'check_failed') return expired('The token is not valid yet (its nbf is in the future).');
    if (err.claim === 'iss') return invalid('The token\'s issuer (iss) is not the one configured.');
    if (err.claim === 'aud') return invalid('The token\'s audience (aud) is not the one configured.');
    return invalid(`The token's "${err.claim}" claim is not valid.`);
  }
  if (err instanceof errors.JOSEAlgNotAllowed) {
    return invalid('The token\'s signing algorithm is not one of auth.jwt.algorithms (unsigned tokens, alg "none", never are).');
  }
  if (err instanceof errors.JWSSignatureVerificationFailed) return invalid('The token\'s signature does not match any configured key.');
  if (err instanceof errors.JWKSMultipleMatchingKeys) return invalid('The token names no key id (kid) and several JWKS keys could have signed it.');
  if (err instanceof errors.JWTInvalid) return invalid('The token\'s payload is not a JSON object of claims.');
  if (err instanceof errors.JWSInvalid) return invalid('The token is malformed: its header or signature cannot be decoded.');
  if (err instanceof errors.JOSENotSupported) return invalid('The token uses a header or key type the gateway does not support.');
  if (err instanceof errors.JOSEError) return invalid('The token could not be verified.');
  // A JWKS key jose cannot import (an RSA key under 2048 bits, a malformed JWK) fails as a TypeError.
  if (err instanceof TypeError) return invalid('The JWKS key for this token cannot be used to verify it.');
  throw err;
}

function expired(message: string): GatewayError {
  return new GatewayError('SB_AUTH_EXPIRED_TOKEN', { message });
}

/** jose wants mutable arrays; the configuration is frozen. */
function copyOf(value: string | readonly string[] | undefined): string | string[] | undefined {
  return typeof value === 'string' || value === undefined ? value : [...value];
}
