import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { ROLE_SCOPES } from '../domain/api-key-record.ts';
import { jwtSchema } from '../config/jwt-schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { claimAt } from './jwt-claims.ts';
import { createJwtVerifier, JwtVerifier, type JwtVerifierOptions } from './jwt-verifier.ts';

const SECRET = 'test-secret-0123456789-abcdefghijklmnop';
const SECRET_BYTES = new TextEncoder().encode(SECRET);
const now = (): number => Math.floor(Date.now() / 1000);

/** A verifier from a configuration as an operator writes it, through the real schema; `extra` bypasses it (short intervals). */
function verifier(config: Record<string, unknown>, extra: Partial<JwtVerifierOptions> = {}): JwtVerifier {
  return new JwtVerifier({ ...jwtSchema.parse(config), ...extra });
}

async function hs256(claims: JWTPayload, key: Uint8Array = SECRET_BYTES, alg = 'HS256'): Promise<string> {
  return new SignJWT({ exp: now() + 300, ...claims }).setProtectedHeader({ alg, typ: 'JWT' }).sign(key);
}

async function signed(claims: JWTPayload, key: CryptoKey, alg: string, kid: string): Promise<string> {
  return new SignJWT({ exp: now() + 300, ...claims }).setProtectedHeader({ alg, kid }).sign(key);
}

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

/** Asserts a GatewayError of this code and status whose message names the problem without quoting the token or the secret. */
async function rejectsWith(promise: Promise<unknown>, code: string, token: string, pattern?: RegExp): Promise<GatewayError> {
  let caught: unknown;
  await assert.rejects(promise, (err: unknown) => { caught = err; return true; });
  assert.ok(caught instanceof GatewayError, `expected a GatewayError, got ${String(caught)}`);
  assert.equal(caught.code, code, caught.message);
  assert.equal(caught.status, code === 'SB_AUTH_JWKS_UNAVAILABLE' ? 503 : 401);
  assert.equal(caught.retryable, code === 'SB_AUTH_JWKS_UNAVAILABLE');
  if (token.length > 8) assert.ok(!caught.message.includes(token), 'the message quotes the token');
  for (const part of token.split('.')) if (part.length > 8) assert.ok(!caught.message.includes(part), 'the message quotes part of the token');
  assert.ok(!caught.message.includes(SECRET), 'the message quotes the secret');
  if (pattern !== undefined) assert.match(caught.message, pattern);
  return caught;
}

interface KeyPair { readonly privateKey: CryptoKey; readonly jwk: JWK }

async function keyPair(alg: 'RS256' | 'ES256', kid: string): Promise<KeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

type Mode = 'serve' | 'stall' | 'error';

/** A real JWKS endpoint on 127.0.0.1:0 that counts its requests. */
async function jwksServer(keys: JWK[]): Promise<{ url: string; requests: () => number; setKeys: (k: JWK[]) => void; setMode: (m: Mode) => void; close: () => Promise<void> }> {
  let current = keys;
  let mode: Mode = 'serve';
  let requests = 0;
  const server: Server = createServer((req, res) => {
    requests++;
    if (mode === 'stall') return; // never answers
    if (mode === 'error') { res.writeHead(500).end('oops'); return; }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    requests: () => requests,
    setKeys: (k) => { current = k; },
    setMode: (m) => { mode = m; },
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A URL on which nothing listens: a server's port, after the server closed. */
async function deadUrl(): Promise<string> {
  const jwks = await jwksServer([]);
  await jwks.close();
  return jwks.url;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('JwtVerifier with a shared secret (HS256)', () => {
  const hs = verifier({ secret: SECRET });

  it('maps the default claims to a frozen Principal', async () => {
    const token = await hs256({ sub: 'user-1', workspace_id: 'ws-1', roles: 'admin', scope: 'inference voice', tier: 'premium' });
    const p = await hs.verify(token);
    assert.equal(p.kind, 'jwt');
    assert.equal(p.keyId, 'jwt:user-1');
    assert.equal(p.userId, 'user-1');
    assert.equal(p.workspaceId, 'ws-1');
    assert.equal(p.role, 'admin');
    assert.deepEqual([...p.scopes].sort(), ['inference', 'voice']);
    assert.equal(p.tier, 'premium');
    assert.equal(p.models, null);
    assert.ok(Object.isFrozen(p));
  });

  it('without optional claims: member, no workspace, no tier, the role\'s default scopes', async () => {
    const p = await hs.verify(await hs256({ sub: 'u' }));
    assert.equal(p.role, 'member');
    assert.equal(p.workspaceId, null);
    assert.equal(p.tier, null);
    assert.deepEqual([...p.scopes].sort(), [...ROLE_SCOPES.member].sort());
  });

  it('takes the highest known role of an array, and member for unknown ones', async () => {
    assert.equal((await hs.verify(await hs256({ sub: 'u', roles: ['viewer', 'operator'] }))).role, 'operator');
    const viewer = await hs.verify(await hs256({ sub: 'u', roles: ['viewer', 'nobody'] }));
    assert.equal(viewer.role, 'viewer');
    assert.deepEqual([...viewer.scopes], [...ROLE_SCOPES.viewer]);
    assert.equal((await hs.verify(await hs256({ sub: 'u', roles: ['superuser', 'Admin'] }))).role, 'member');
  });

  it('keeps only known scopes, from a space-separated string or an array', async () => {
    const fromString = await hs.verify(await hs256({ sub: 'u', roles: 'admin', scope: 'inference admin:read bogus' }));
    assert.deepEqual([...fromString.scopes].sort(), ['admin:read', 'inference']);
    const fromArray = await hs.verify(await hs256({ sub: 'u', scope: ['services', 'admin:write', 42] }));
    assert.deepEqual([...fromArray.scopes].sort(), ['admin:write', 'services']);
  });

  it('gives the role\'s defaults when the scope claim names none of the gateway\'s (OAuth "openid profile")', async () => {
    const p = await hs.verify(await hs256({ sub: 'u', roles: 'operator', scope: 'openid profile' }));
    assert.deepEqual([...p.scopes].sort(), [...ROLE_SCOPES.operator].sort());
  });

  it('reads custom claim names, nested paths and URL-style names with dots', async () => {
    const custom = verifier({
      secret: SECRET,
      claims: { user: 'email', workspace: 'https://example.com/claims.workspace', roles: 'realm_access.roles', scopes: 'permissions', tier: 'app.plan.tier' },
    });
    const p = await custom.verify(await hs256({
      sub: 'auth0|123',
      email: 'ada@example.com',
      'https://example.com/claims.workspace': 'acme',
      realm_access: { roles: ['offline_access', 'admin'] },
      permissions: ['voice'],
      app: { plan: { tier: 'gold' } },
    }));
    assert.equal(p.keyId, 'jwt:auth0|123');
    assert.equal(p.userId, 'ada@example.com');
    assert.equal(p.workspaceId, 'acme');
    assert.equal(p.role, 'admin');
    assert.deepEqual([...p.scopes], ['voice']);
    assert.equal(p.tier, 'gold');
  });

  it('follows a dotted path only through own properties of objects', () => {
    const payload = { a: { b: 'deep' }, 'a.b': 'whole', list: ['x'] };
    assert.equal(claimAt(payload, 'a.b'), 'whole');
    assert.equal(claimAt({ a: { b: 'deep' } }, 'a.b'), 'deep');
    assert.equal(claimAt(payload, 'list.0'), undefined);
    assert.equal(claimAt(payload, 'a.constructor'), undefined);
    assert.equal(claimAt(payload, 'a.__proto__'), undefined);
    assert.equal(claimAt(payload, 'missing.path'), undefined);
  });

  it('cuts a long sub to 200 characters in the key id', async () => {
    const p = await hs.verify(await hs256({ sub: 's'.repeat(500) }));
    assert.equal(p.keyId, `jwt:${'s'.repeat(200)}`);
  });

  it('refuses a token without sub, or with a workspace claim that is not a string', async () => {
    const noSub = await hs256({ roles: 'admin' });
    await rejectsWith(hs.verify(noSub), 'SB_AUTH_INVALID_TOKEN', noSub, /"sub"/);
    // Read as null, this would make an admin token the operator of every workspace.
    const badWorkspace = await hs256({ sub: 'u', roles: 'admin', workspace_id: 7 });
    await rejectsWith(hs.verify(badWorkspace), 'SB_AUTH_INVALID_TOKEN', badWorkspace, /workspace/);
  });

  it('refuses an expired token, beyond the clock skew', async () => {
    const token = await hs256({ sub: 'u', exp: now() - 120 });
    await rejectsWith(hs.verify(token), 'SB_AUTH_EXPIRED_TOKEN', token, /expired/);
  });

  it('accepts a token expired within the clock skew (default 30 s)', async () => {
    const p = await hs.verify(await hs256({ sub: 'u', exp: now() - 10 }));
    assert.equal(p.keyId, 'jwt:u');
  });

  it('honours a configured clock skew of 0', async () => {
    const strict = verifier({ secret: SECRET, clockSkewSeconds: 0 });
    const token = await hs256({ sub: 'u', exp: now() - 10 });
    await rejectsWith(strict.verify(token), 'SB_AUTH_EXPIRED_TOKEN', token);
  });

  it('refuses a token whose nbf is in the future with the expired code, within the skew accepts it', async () => {
    const future = await hs256({ sub: 'u', nbf: now() + 120 });
    await rejectsWith(hs.verify(future), 'SB_AUTH_EXPIRED_TOKEN', future, /not valid yet/);
    assert.equal((await hs.verify(await hs256({ sub: 'u', nbf: now() + 10 }))).keyId, 'jwt:u');
  });

  it('checks the audience and the issuer when they are configured', async () => {
    const checked = verifier({ secret: SECRET, issuer: ['https://idp.example.com', 'https://idp2.example.com'], audience: 'switchboard' });
    const ok = await hs256({ sub: 'u', iss: 'https://idp2.example.com', aud: ['other', 'switchboard'] });
    assert.equal((await checked.verify(ok)).keyId, 'jwt:u');
    const wrongAud = await hs256({ sub: 'u', iss: 'https://idp.example.com', aud: 'someone-else' });
    await rejectsWith(checked.verify(wrongAud), 'SB_AUTH_INVALID_TOKEN', wrongAud, /audience/);
    const noAud = await hs256({ sub: 'u', iss: 'https://idp.example.com' });
    await rejectsWith(checked.verify(noAud), 'SB_AUTH_INVALID_TOKEN', noAud, /audience/);
    const wrongIss = await hs256({ sub: 'u', iss: 'https://evil.example.com', aud: 'switchboard' });
    await rejectsWith(checked.verify(wrongIss), 'SB_AUTH_INVALID_TOKEN', wrongIss, /issuer/);
  });

  it('refuses a bad signature: another secret, or a changed payload', async () => {
    const other = await hs256({ sub: 'u' }, new TextEncoder().encode('another-secret-0123456789-abcdefghij'));
    await rejectsWith(hs.verify(other), 'SB_AUTH_INVALID_TOKEN', other, /signature/);
    const [header, , signature] = (await hs256({ sub: 'u', roles: 'viewer' })).split('.');
    const tampered = `${header}.${b64({ sub: 'u', roles: 'admin', exp: now() + 300 })}.${signature}`;
    await rejectsWith(hs.verify(tampered), 'SB_AUTH_INVALID_TOKEN', tampered, /signature/);
  });

  it('refuses alg "none", with an empty signature or a made-up one', async () => {
    const payload = b64({ sub: 'u', roles: 'admin', exp: now() + 300 });
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    await rejectsWith(hs.verify(unsigned), 'SB_AUTH_INVALID_TOKEN', unsigned);
    // Past the prefilter: jose itself must refuse the algorithm.
    const fakeSig = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.${Buffer.from('sig').toString('base64url')}`;
    await rejectsWith(hs.verify(fakeSig), 'SB_AUTH_INVALID_TOKEN', fakeSig, /algorithm/);
  });

  it('refuses an algorithm that is not configured, even with the right secret', async () => {
    const hs512 = await hs256({ sub: 'u' }, SECRET_BYTES, 'HS512');
    await rejectsWith(hs.verify(hs512), 'SB_AUTH_INVALID_TOKEN', hs512, /algorithm/);
  });

  it('refuses malformed strings before parsing', async () => {
    for (const token of ['', 'abc', 'a.b', 'a.b.c.d', 'a b.c.d', 'a.b.c=', '..']) {
      await rejectsWith(hs.verify(token), 'SB_AUTH_INVALID_TOKEN', token, /three base64url parts/);
    }
    const garbage = `${b64({ alg: 'HS256' }).slice(0, 5)}x.${b64({ sub: 'u' })}.AAAA`;
    await rejectsWith(hs.verify(garbage), 'SB_AUTH_INVALID_TOKEN', garbage);
    const notObject = `${b64({ alg: 'HS256' })}.${Buffer.from('[1,2]').toString('base64url')}.AAAA`;
    await rejectsWith(hs.verify(notObject), 'SB_AUTH_INVALID_TOKEN', notObject);
  });

  it('refuses a token longer than maxTokenBytes', async () => {
    const long = await hs256({ sub: 'u', padding: 'p'.repeat(9000) });
    await rejectsWith(hs.verify(long), 'SB_AUTH_INVALID_TOKEN', long, /8192/);
    const roomy = verifier({ secret: SECRET, maxTokenBytes: 16_384 });
    assert.equal((await roomy.verify(long)).keyId, 'jwt:u');
  });
});

describe('jwtSchema', () => {
  it('is off with neither a secret nor a jwksUrl, and createJwtVerifier builds nothing then', () => {
    const config = jwtSchema.parse({});
    assert.equal(config.enabled, false);
    assert.equal(createJwtVerifier(config), undefined);
  });

  it('fills the defaults from the keys it is given', () => {
    const secret = jwtSchema.parse({ secret: SECRET });
    assert.equal(secret.enabled, true);
    assert.deepEqual(secret.algorithms, ['HS256']);
    assert.equal(secret.clockSkewSeconds, 30);
    assert.equal(secret.jwksCacheSeconds, 600);
    assert.equal(secret.jwksMinRefreshIntervalSeconds, 30);
    assert.equal(secret.jwksTimeoutMs, 2000);
    assert.equal(secret.maxTokenBytes, 8192);
    assert.deepEqual(secret.claims, { user: 'sub', workspace: 'workspace_id', roles: 'roles', scopes: 'scope', tier: 'tier' });
    assert.ok(createJwtVerifier(secret) instanceof JwtVerifier);
    assert.deepEqual(jwtSchema.parse({ jwksUrl: 'https://idp.example.com/jwks' }).algorithms, ['RS256', 'ES256']);
    assert.equal(jwtSchema.parse({ secret: SECRET, enabled: false }).enabled, false);
  });

  it('refuses "none", algorithms without their key, weak secrets and bad values', () => {
    const refused = (input: unknown, pattern: RegExp): void => {
      const result = jwtSchema.safeParse(input);
      assert.equal(result.success, false, JSON.stringify(input));
      assert.match(JSON.stringify(result.error?.issues), pattern);
    };
    refused({ secret: SECRET, algorithms: ['none'] }, /never accepted/);
    refused({ secret: SECRET, algorithms: ['HS256', 'RS256'] }, /RS256 needs a jwksUrl/);
    refused({ jwksUrl: 'https://idp.example.com/jwks', algorithms: ['HS256'] }, /HS256 needs a secret/);
    refused({ enabled: true }, /needs a secret or a jwksUrl/);
    refused({ secret: 'short' }, /32 characters/);
    refused({ jwksUrl: 'ftp://idp.example.com/jwks' }, /jwksUrl/);
    refused({ secret: SECRET, clockSkewSeconds: 301 }, /clockSkewSeconds/);
    refused({ secret: SECRET, claims: { user: 'sub', extra: 'x' } }, /extra/);
    refused({ secret: SECRET, unknown: 1 }, /unknown/);
  });
});

describe('JwtVerifier with a JWKS', () => {
  it('verifies RS256 and ES256 tokens with keys fetched once and cached', async () => {
    const rsa = await keyPair('RS256', 'rsa-1');
    const ec = await keyPair('ES256', 'ec-1');
    const jwks = await jwksServer([rsa.jwk, ec.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url });
      const p1 = await v.verify(await signed({ sub: 'r', roles: 'viewer' }, rsa.privateKey, 'RS256', 'rsa-1'));
      assert.equal(p1.keyId, 'jwt:r');
      assert.equal(p1.role, 'viewer');
      const p2 = await v.verify(await signed({ sub: 'e', workspace_id: 'w' }, ec.privateKey, 'ES256', 'ec-1'));
      assert.equal(p2.keyId, 'jwt:e');
      assert.equal(p2.workspaceId, 'w');
      assert.equal(jwks.requests(), 1);
    } finally {
      await jwks.close();
    }
  });

  it('refreshes once on an unknown kid, then refuses it; a second unknown kid within the interval fetches nothing', async () => {
    const known = await keyPair('RS256', 'known');
    const stranger = await keyPair('RS256', 'stranger');
    const jwks = await jwksServer([known.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url }, { jwksMinRefreshIntervalSeconds: 0.2 });
      await v.verify(await signed({ sub: 'u' }, known.privateKey, 'RS256', 'known'));
      assert.equal(jwks.requests(), 1);
      await sleep(250);
      const unknown = await signed({ sub: 'u' }, stranger.privateKey, 'RS256', 'unknown-1');
      await rejectsWith(v.verify(unknown), 'SB_AUTH_INVALID_TOKEN', unknown, /even after fetching it again/);
      assert.equal(jwks.requests(), 2);
      const again = await signed({ sub: 'u' }, stranger.privateKey, 'RS256', 'unknown-2');
      await rejectsWith(v.verify(again), 'SB_AUTH_INVALID_TOKEN', again, /not again yet/);
      assert.equal(jwks.requests(), 2);
    } finally {
      await jwks.close();
    }
  });

  it('a burst of unknown kids shares one fetch', async () => {
    const known = await keyPair('ES256', 'known');
    const jwks = await jwksServer([known.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url });
      const tokens = await Promise.all([1, 2, 3, 4, 5].map((i) => signed({ sub: 'u' }, known.privateKey, 'ES256', `made-up-${i}`)));
      const results = await Promise.allSettled(tokens.map((t) => v.verify(t)));
      assert.ok(results.every((r) => r.status === 'rejected' && r.reason instanceof GatewayError && r.reason.code === 'SB_AUTH_INVALID_TOKEN'));
      assert.equal(jwks.requests(), 1);
    } finally {
      await jwks.close();
    }
  });

  it('picks up a rotated key after the refresh', async () => {
    const oldKey = await keyPair('RS256', 'key-2024');
    const newKey = await keyPair('RS256', 'key-2025');
    const jwks = await jwksServer([oldKey.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url }, { jwksMinRefreshIntervalSeconds: 0.1 });
      await v.verify(await signed({ sub: 'u' }, oldKey.privateKey, 'RS256', 'key-2024'));
      jwks.setKeys([newKey.jwk]);
      await sleep(150);
      const p = await v.verify(await signed({ sub: 'rotated' }, newKey.privateKey, 'RS256', 'key-2025'));
      assert.equal(p.keyId, 'jwt:rotated');
      assert.equal(jwks.requests(), 2);
    } finally {
      await jwks.close();
    }
  });

  it('answers SB_AUTH_JWKS_UNAVAILABLE (503) when the JWKS cannot be fetched for a kid never seen', async () => {
    const key = await keyPair('RS256', 'k');
    const v = verifier({ jwksUrl: await deadUrl() });
    const token = await signed({ sub: 'u' }, key.privateKey, 'RS256', 'k');
    const err = await rejectsWith(v.verify(token), 'SB_AUTH_JWKS_UNAVAILABLE', token, /connection failed/);
    assert.ok(!err.message.includes('127.0.0.1'), 'the message quotes the JWKS URL');
  });

  it('keeps verifying with cached keys while the JWKS is down; an unknown kid then gets 503', async () => {
    const key = await keyPair('ES256', 'cached');
    const other = await keyPair('ES256', 'other');
    const jwks = await jwksServer([key.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url }, { jwksMinRefreshIntervalSeconds: 0.1, jwksCacheSeconds: 0.2 });
      await v.verify(await signed({ sub: 'u' }, key.privateKey, 'ES256', 'cached'));
      jwks.setMode('error');
      await sleep(250); // the cache is now stale: its refetch fails, and the old keys stay in use
      assert.equal((await v.verify(await signed({ sub: 'still' }, key.privateKey, 'ES256', 'cached'))).keyId, 'jwt:still');
      assert.equal(jwks.requests(), 2);
      const unknown = await signed({ sub: 'u' }, other.privateKey, 'ES256', 'other');
      await rejectsWith(v.verify(unknown), 'SB_AUTH_JWKS_UNAVAILABLE', unknown, /HTTP 500/);
    } finally {
      await jwks.close();
    }
  });

  it('gives up on a JWKS server that stalls within jwksTimeoutMs', async () => {
    const key = await keyPair('RS256', 'k');
    const jwks = await jwksServer([key.jwk]);
    jwks.setMode('stall');
    try {
      const v = verifier({ jwksUrl: jwks.url, jwksTimeoutMs: 300 });
      const token = await signed({ sub: 'u' }, key.privateKey, 'RS256', 'k');
      const started = performance.now();
      await rejectsWith(v.verify(token), 'SB_AUTH_JWKS_UNAVAILABLE', token, /no answer within 300 ms/);
      const elapsed = performance.now() - started;
      assert.ok(elapsed < 300 + 200, `took ${Math.round(elapsed)} ms`);
      assert.equal(jwks.requests(), 1);
    } finally {
      await jwks.close();
    }
  });

  it('refuses an answer that is not a JSON Web Key Set as unavailable', async () => {
    const key = await keyPair('RS256', 'k');
    const server = createServer((_req, res) => { res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys":"nope"}'); });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const v = verifier({ jwksUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks` });
      const token = await signed({ sub: 'u' }, key.privateKey, 'RS256', 'k');
      await rejectsWith(v.verify(token), 'SB_AUTH_JWKS_UNAVAILABLE', token, /not a JSON Web Key Set/);
    } finally {
      await new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); });
    }
  });

  it('refuses algorithm confusion: an HS256 token keyed with the RSA public key', async () => {
    const { privateKey, publicKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'rsa', alg: 'RS256', use: 'sig' };
    const jwks = await jwksServer([jwk]);
    try {
      const pem = new TextEncoder().encode(await exportSPKI(publicKey));
      const forged = await new SignJWT({ sub: 'attacker', roles: 'admin', exp: now() + 300 }).setProtectedHeader({ alg: 'HS256', kid: 'rsa' }).sign(pem);
      const jwksOnly = verifier({ jwksUrl: jwks.url });
      await rejectsWith(jwksOnly.verify(forged), 'SB_AUTH_INVALID_TOKEN', forged, /algorithm/);
      assert.equal(jwks.requests(), 0, 'the forged token reached the JWKS');
      // With both a secret and a JWKS, HS256 is checked against the secret only, never against a JWKS key.
      const both = verifier({ jwksUrl: jwks.url, secret: SECRET });
      await rejectsWith(both.verify(forged), 'SB_AUTH_INVALID_TOKEN', forged, /signature/);
      assert.equal((await both.verify(await signed({ sub: 'real' }, privateKey, 'RS256', 'rsa'))).keyId, 'jwt:real');
      assert.equal((await both.verify(await hs256({ sub: 'shared' }))).keyId, 'jwt:shared');
    } finally {
      await jwks.close();
    }
  });

  it('refuses an RS256 token with a valid kid but a signature from another key', async () => {
    const real = await keyPair('RS256', 'k');
    const impostor = await keyPair('RS256', 'k');
    const jwks = await jwksServer([real.jwk]);
    try {
      const v = verifier({ jwksUrl: jwks.url });
      const token = await signed({ sub: 'u' }, impostor.privateKey, 'RS256', 'k');
      await rejectsWith(v.verify(token), 'SB_AUTH_INVALID_TOKEN', token, /signature/);
    } finally {
      await jwks.close();
    }
  });
});
