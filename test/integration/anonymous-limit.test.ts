// Seed 001's anonymous tier: requests without valid credentials are counted by client address, which follows
// X-Forwarded-For only from server.trustedProxies; once an address has used its tier, 429 instead of 401.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const limits = { tiers: { anonymous: { requestsPerHour: 3 } } };
const providers = [{ name: 'mock', type: 'mock', models: ['mock'] }];
const BODY = { model: 'mock', messages: [{ role: 'user', content: 'hi' }] };

describe('the anonymous tier, by client address', () => {
  let direct: TestGateway;
  let proxied: TestGateway;
  const callDirect = adminCall(() => direct);
  const callProxied = adminCall(() => proxied);
  const wrongKey = { authorization: 'Bearer sb-not-a-key-0123456789' };
  const logs: string[] = [];

  before(async () => {
    direct = await startGateway({ config: { providers, limits }, logs });
    proxied = await startGateway({ config: { providers, limits, server: { host: '127.0.0.1', port: 0, metricsPort: 0, trustedProxies: ['127.0.0.1'] } } });
  });
  after(async () => {
    await direct.close();
    await proxied.close();
  });

  it('answers 401 with the tier\'s headers, then 429 once the address has used it, while a valid key goes on', async () => {
    const first = await callDirect('POST', '/v1/chat/completions', BODY, wrongKey);
    assert.equal(first.status, 401);
    assert.equal(first.body.error.code, 'SB_AUTH_INVALID_KEY');
    assert.equal(first.headers.get('x-ratelimit-limit'), '3');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '2');
    // No key at all, and an admin route: the same counter.
    assert.equal((await callDirect('GET', '/api/keys', undefined, { authorization: '' })).status, 401);
    assert.equal((await callDirect('POST', '/v1/chat/completions', BODY, wrongKey)).status, 401);
    const refused = await callDirect('POST', '/v1/chat/completions', BODY, wrongKey);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'SB_RATE_LIMITED');
    assert.match(refused.body.error.message, /anonymous tier/);
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    // X-Forwarded-For from a connection that is no trusted proxy changes nothing.
    assert.equal((await callDirect('POST', '/v1/chat/completions', BODY, { ...wrongKey, 'x-forwarded-for': '203.0.113.9' })).status, 429);
    // A valid key is never counted against the anonymous tier.
    assert.equal((await callDirect('POST', '/v1/chat/completions', BODY)).status, 200);
    // Each refusal is one access_refused line with the code and the address, never the presented key.
    const refusals = logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.event === 'access_refused');
    assert.deepEqual(refusals.map((l) => l.code), ['SB_AUTH_INVALID_KEY', 'SB_AUTH_MISSING_KEY', 'SB_AUTH_INVALID_KEY', 'SB_RATE_LIMITED', 'SB_RATE_LIMITED']);
    assert.ok(refusals.every((l) => l.ip === '127.0.0.1' && typeof l.route === 'string'));
    assert.ok(!logs.join('\n').includes('sb-not-a-key'), 'the presented key is never logged');
  });

  it('counts the client X-Forwarded-For names when the connection is a trusted proxy', async () => {
    const from = (address: string) => callProxied('POST', '/v1/chat/completions', BODY, { ...wrongKey, 'x-forwarded-for': address });
    for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.7')).status, 401);
    assert.equal((await from('203.0.113.7')).status, 429);
    // Another client behind the same proxy has its own count.
    assert.equal((await from('198.51.100.4')).status, 401);
  });

  it('refuses a trusted proxy that is not an address or a range, naming the field', async () => {
    await assert.rejects(startGateway({ config: { providers, server: { host: '127.0.0.1', port: 0, metricsPort: 0, trustedProxies: ['10.0.0.0/99'] } } }), /trustedProxies/);
  });
});
