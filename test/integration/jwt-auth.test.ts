// JWT bearer tokens through a running gateway (seed 001): HS256 with JWT_SECRET_KEY, RS256 through a JWKS served
// by a local server; every refusal answers its code, and a token's workspace and role act as a key's would.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey } from 'jose';
import { adminCall } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const SECRET = 'a-test-jwt-secret-of-at-least-32-characters';
const ISSUER = 'https://idp.test';
const AUDIENCE = 'switchboard';

describe('JWT bearer tokens', () => {
  let gw: TestGateway;
  let jwks: Server;
  let rsa: CryptoKey;
  let jwksFetches = 0;
  const call = adminCall(() => gw);
  const hs = (claims: Record<string, unknown> = {}, options: { exp?: string | number; iss?: string; aud?: string; secret?: string } = {}) =>
    new SignJWT({ roles: ['member'], ...claims }).setProtectedHeader({ alg: 'HS256' }).setSubject('user-1').setIssuedAt()
      .setIssuer(options.iss ?? ISSUER).setAudience(options.aud ?? AUDIENCE).setExpirationTime(options.exp ?? '5m')
      .sign(new TextEncoder().encode(options.secret ?? SECRET));
  const chat = (token: string, headers: Record<string, string> = {}) =>
    call('POST', '/v1/chat/completions', { model: 'mock', messages: [{ role: 'user', content: 'hi' }] }, { authorization: `Bearer ${token}`, ...headers });

  before(async () => {
    const pair = await generateKeyPair('RS256');
    rsa = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = createServer((_req, res) => {
      jwksFetches++;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [publicJwk] }));
    });
    await new Promise<void>((resolve) => jwks.listen(0, '127.0.0.1', resolve));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as AddressInfo).port}/jwks.json`;
    gw = await startGateway({
      config: { providers: [{ name: 'mock', type: 'mock', models: ['mock'] }], auth: { jwt: { algorithms: ['HS256', 'RS256'], jwksUrl } }, workspaces: { acme: {} } },
      env: { JWT_SECRET_KEY: SECRET, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
  });
  after(async () => {
    await gw.close();
    await new Promise<void>((resolve) => jwks.close(() => resolve()));
  });

  it('serves a valid HS256 token, in the authenticated tier', async () => {
    const res = await chat(await hs({ workspace_id: 'acme' }));
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-ratelimit-limit'), '5000');
    const usage = (await call('GET', `/api/usage?request_id=${res.headers.get('x-request-id') ?? ''}`)).body.data as Array<{ keyId: string; workspaceId: string }>;
    assert.ok(usage.length > 0);
    assert.ok(usage.every((r) => r.keyId === 'jwt:user-1' && r.workspaceId === 'acme'));
  });

  it('serves a valid RS256 token through the JWKS, fetched once', async () => {
    const token = await new SignJWT({ roles: 'member' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('user-2')
      .setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(rsa);
    assert.equal((await chat(token)).status, 200);
    assert.equal((await chat(token)).status, 200);
    assert.equal(jwksFetches, 1);
  });

  it('answers each bad token with its code', async () => {
    const cases: Array<[string, string | Promise<string>, string]> = [
      ['expired', hs({}, { exp: Math.floor(Date.now() / 1000) - 3600 }), 'SB_AUTH_EXPIRED_TOKEN'],
      ['wrong audience', hs({}, { aud: 'someone-else' }), 'SB_AUTH_INVALID_TOKEN'],
      ['wrong issuer', hs({}, { iss: 'https://evil.test' }), 'SB_AUTH_INVALID_TOKEN'],
      ['bad signature', hs({}, { secret: 'another-secret-of-at-least-32-characters!' }), 'SB_AUTH_INVALID_TOKEN'],
      ['unknown kid', new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'nope' }).setSubject('x').setIssuer(ISSUER).setAudience(AUDIENCE).setExpirationTime('5m').sign(rsa), 'SB_AUTH_INVALID_TOKEN'],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'x', iss: ISSUER, aud: AUDIENCE, exp: Math.floor(Date.now() / 1000) + 300 })}.`, 'SB_AUTH_INVALID_TOKEN'],
      ['malformed', 'eyJhbGciOi.garbage', 'SB_AUTH_INVALID_TOKEN'],
    ];
    for (const [what, token, code] of cases) {
      const res = await chat(await token);
      assert.equal(res.status, 401, `${what}: ${res.text}`);
      assert.equal(res.body.error.code, code, what);
      assert.ok(!res.text.includes(await token), `${what}: the token is not echoed`);
    }
  });

  it("holds a token to its workspace and role, as a key's", async () => {
    const forged = await chat(await hs({ workspace_id: 'acme' }), { 'x-switchboard-workspace': 'other' });
    assert.equal(forged.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    const admin = await hs({ workspace_id: 'acme', roles: ['admin'] });
    const keys = await call('GET', '/api/keys', undefined, { authorization: `Bearer ${admin}` });
    assert.equal(keys.status, 200, keys.text);
    assert.deepEqual(keys.body.data, []);
    assert.equal((await call('GET', '/api/config', undefined, { authorization: `Bearer ${admin}` })).body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    const viewer = await hs({ workspace_id: 'acme', roles: ['viewer'] });
    assert.equal((await chat(viewer)).body.error.code, 'SB_AUTH_FORBIDDEN');
  });

  it('still takes API keys beside tokens', async () => {
    const made = await call('POST', '/api/keys', { name: 'app', workspaceId: 'acme' });
    assert.equal((await chat(made.body.key)).status, 200);
  });
});

function b64(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}
