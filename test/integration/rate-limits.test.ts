// Rate limits on a running gateway (memory limiter): seed 001's tiers and headers, a workspace's own limits,
// tokens per minute from the request's estimate, refusals as 429 SB_RATE_LIMITED with Retry-After.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = {
  providers: [{ name: 'mock', type: 'mock', models: ['mock'] }],
  workspaces: {
    tight: { rateLimits: { requestsPerMinute: 5 } },
    tokens: { rateLimits: { tokensPerMinute: 300 } },
    other: {},
    bursty: { rateLimits: { burst: { capacity: 3, perSecond: 1 } } },
  },
  limits: { perModel: { 'mock-large': { requestsPerMinute: 2 } } },
};

describe('rate limits', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const keys: Record<string, string> = {};
  const chat = (key: string, body: Record<string, unknown> = {}) =>
    call('POST', '/v1/chat/completions', { model: 'mock', messages: [{ role: 'user', content: 'hi' }], ...body }, { authorization: `Bearer ${key}` });

  before(async () => {
    gw = await startGateway({ config: CONFIG });
    for (const ws of ['tight', 'tokens', 'other', 'bursty']) keys[ws] = (await call('POST', '/api/keys', { name: ws, workspaceId: ws })).body.key;
  });
  after(() => gw.close());

  it("answers with seed 001's headers, the api_key tier's 5,000 an hour by default", async () => {
    const res = await chat(keys.other!);
    assert.equal(res.status, 200, res.text);
    assert.equal(res.headers.get('x-ratelimit-limit'), '5000');
    assert.equal(res.headers.get('x-ratelimit-remaining'), '4999');
    const reset = Number(res.headers.get('x-ratelimit-reset'));
    // An hour ahead, rounded up to the end of the minute the request fell in (a window above 1,000 counts in
    // sixtieths of itself).
    assert.ok(reset > Date.now() / 1000 + 3590 && reset <= Date.now() / 1000 + 3661, `reset ${reset} is an epoch second an hour ahead`);
    assert.equal(res.headers.get('x-ratelimit-limit-requests'), '5000');
    assert.match(res.headers.get('x-ratelimit-reset-requests') ?? '', /^\d+m\d+s$/);
  });

  it("holds a workspace to its own limit, counting only requests that got past validation", async () => {
    assert.equal((await call('POST', '/v1/chat/completions', { model: 'mock' }, { authorization: `Bearer ${keys.tight!}` })).status, 400);
    const remaining: string[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await chat(keys.tight!);
      assert.equal(res.status, 200, res.text);
      remaining.push(res.headers.get('x-ratelimit-remaining') ?? '');
    }
    assert.deepEqual(remaining, ['4', '3', '2', '1', '0'], 'the tightest limit (5 a minute) is the one shown');
    const refused = await chat(keys.tight!);
    assert.equal(refused.status, 429);
    assert.equal(refused.body.error.code, 'SB_RATE_LIMITED');
    assert.match(refused.body.error.message, /the workspace \(requests\) allows 5 per minute/);
    const retryAfter = Number(refused.headers.get('retry-after'));
    assert.ok(retryAfter >= 1 && retryAfter <= 60, `retry-after ${retryAfter}`);
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    assert.equal((await chat(keys.other!)).status, 200, 'another workspace is not affected');
  });

  it('takes tokens per minute from the prompt and the output cap, and corrects them with the real count', async () => {
    const big = await chat(keys.tokens!, { max_tokens: 400 });
    assert.equal(big.status, 429, 'an estimate over the limit is refused before any upstream call');
    assert.match(big.body.error.message, /tokens/);
    const first = await chat(keys.tokens!, { max_tokens: 200 });
    assert.equal(first.status, 200, first.text);
    // The estimate (about 20 prompt tokens + 200) was replaced by what the mock really used (a few dozen).
    const second = await chat(keys.tokens!, { max_tokens: 200 });
    assert.equal(second.status, 200, `the first request's estimate was settled to its real tokens: ${second.text}`);
    assert.ok(Number(second.headers.get('x-ratelimit-remaining-tokens')) < 300);
  });

  it('lets a burst through a token bucket, then one request per refill', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await chat(keys.bursty!)).status, 200);
    const refused = await chat(keys.bursty!);
    assert.equal(refused.status, 429);
    assert.match(refused.body.error.message, /burst of requests\) allows 3 at once, refilled over 3 s/);
    assert.equal(refused.headers.get('retry-after'), '1');
  });

  it('lets operators (keys of no workspace) through without counting', async () => {
    const res = await call('POST', '/v1/chat/completions', { model: 'mock', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-ratelimit-limit'), null);
  });

  it('applies a change of limits from the next request', async () => {
    assert.equal((await call('PATCH', '/api/config', { workspaces: { other: { rateLimits: { requestsPerMinute: 1 } } } })).status, 200);
    const res = await chat(keys.other!);
    assert.ok(res.status === 200 || res.status === 429);
    const next = await chat(keys.other!);
    assert.equal(next.status, 429);
    assert.equal((await call('PATCH', '/api/config', { limits: { enabled: false } })).status, 200);
    const off = await chat(keys.other!);
    assert.equal(off.status, 200);
    assert.equal(off.headers.get('x-ratelimit-limit'), null);
  });
});
