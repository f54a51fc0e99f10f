// Bad input of every kind gets a clear 4xx with a stable SB_* code and the field at fault; the process keeps
// serving and no usage record is lost.
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';
import { usageFor, type Rec } from '../support/usage-for.ts';

interface Answer { status: number; body: Record<string, any>; headers: Headers }

describe('bad input', () => {
  let gw: TestGateway;
  const post = async (path: string, body: string | Buffer, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...headers }, body });
    return { status: res.status, body: await res.json() as Record<string, any>, headers: res.headers };
  };
  const chat = (body: unknown, headers?: Record<string, string>): Promise<Answer> => post('/v1/chat/completions', JSON.stringify(body), headers);

  before(async () => { gw = await startGateway({ config: { server: { bodyLimitBytes: 4096 } } }); });
  after(() => gw.close());

  it('malformed JSON → SB_INVALID_JSON in the caller\'s dialect', async () => {
    const openai = await post('/v1/chat/completions', '{"model": "mock", "messages": [');
    assert.equal(openai.status, 400);
    assert.equal(openai.body.error.code, 'SB_INVALID_JSON');
    assert.equal(openai.body.error.type, 'invalid_request_error');
    const anthropic = await post('/v1/messages', '{"model": ');
    assert.equal(anthropic.status, 400);
    assert.equal(anthropic.body.type, 'error');
    assert.equal(anthropic.body.error.type, 'invalid_request_error');
    assert.equal(anthropic.body.error.code, 'SB_INVALID_JSON');
    assert.equal(typeof anthropic.body.request_id, 'string');
  });

  it('wrong types and missing fields name the field', async () => {
    const cases: Array<[unknown, string]> = [
      [{ model: 123, messages: [{ role: 'user', content: 'x' }] }, 'model'],
      [{ model: 'mock', messages: 'hello' }, 'messages'],
      [{ model: 'mock' }, 'messages'],
      [{ model: 'mock', messages: [{ role: 'wizard', content: 'x' }] }, 'messages.0.role'],
      [{ model: 'mock', stream: 'yes', messages: [{ role: 'user', content: 'x' }] }, 'stream'],
      [{ model: 'mock', n: 0, messages: [{ role: 'user', content: 'x' }] }, 'n'],
    ];
    for (const [body, param] of cases) {
      const res = await chat(body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.error.code, 'SB_INVALID_REQUEST');
      assert.equal(res.body.error.param, param, JSON.stringify(body));
    }
    const noMax = await post('/v1/messages', JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'x' }] }));
    assert.equal(noMax.status, 400);
    assert.equal(noMax.body.error.param, 'max_tokens');
  });

  it('a JSON body that is not an object is refused', async () => {
    for (const body of ['[]', '"text"', '42', 'null']) {
      const res = await post('/v1/chat/completions', body);
      assert.equal(res.status, 400, body);
      assert.match(res.body.error.code, /^SB_INVALID_(REQUEST|JSON)$/);
    }
  });

  it('unknown model → 404 SB_MODEL_NOT_FOUND with param model, and a usage record', async () => {
    const res = await chat({ model: 'gpt-nothing-configured', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'SB_MODEL_NOT_FOUND');
    assert.equal(res.body.error.param, 'model');
    const records = await usageFor(gw, res.headers.get('x-request-id')!);
    assert.deepEqual(records.map((r) => [r.kind, r.outcome, r.errorCode]), [['request', 'error', 'SB_MODEL_NOT_FOUND']]);
  });

  it('missing, wrong, revoked and under-privileged keys', async () => {
    const none = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as any).error.code, 'SB_AUTH_MISSING_KEY');
    const wrong = await chat({ model: 'mock', messages: [{ role: 'user', content: 'x' }] }, { authorization: 'Bearer sb_deadbeef_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error.code, 'SB_AUTH_INVALID_KEY');

    const created = await post('/api/keys', JSON.stringify({ name: 'limited', role: 'inference', models: ['mock'] }));
    assert.equal(created.status, 201);
    const key = created.body.key as string;
    const asKey = { authorization: `Bearer ${key}` };
    assert.equal((await chat({ model: 'mock', messages: [{ role: 'user', content: 'x' }] }, asKey)).status, 200);
    const otherModel = await chat({ model: 'mock-large', messages: [{ role: 'user', content: 'x' }] }, asKey);
    assert.equal(otherModel.status, 403);
    assert.equal(otherModel.body.error.code, 'SB_MODEL_NOT_ALLOWED');
    const models = await fetch(`${gw.url}/v1/models`, { headers: asKey });
    assert.deepEqual(((await models.json()) as any).data.map((m: { id: string }) => m.id), ['mock']);
    // A member of the default workspace: its workspace's keys only, nothing shared, no key management.
    const own = await fetch(`${gw.url}/api/keys`, { headers: asKey });
    assert.equal(own.status, 200);
    assert.ok(((await own.json()) as any).data.every((k: { workspaceId: string }) => k.workspaceId === 'default'));
    const shared = await fetch(`${gw.url}/api/config`, { headers: asKey });
    assert.equal(shared.status, 403);
    assert.equal(((await shared.json()) as any).error.code, 'SB_WORKSPACE_FORBIDDEN');
    const manage = await fetch(`${gw.url}/api/keys`, { method: 'POST', headers: { ...asKey, 'content-type': 'application/json' }, body: '{"name":"x"}' });
    assert.equal(manage.status, 403);
    assert.equal(((await manage.json()) as any).error.code, 'SB_AUTH_FORBIDDEN');

    const revoke = await fetch(`${gw.url}/api/keys/${created.body.id as string}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.equal(revoke.status, 200);
    const revoked = await chat({ model: 'mock', messages: [{ role: 'user', content: 'x' }] }, asKey);
    assert.equal(revoked.status, 401);
    assert.equal(revoked.body.error.code, 'SB_AUTH_REVOKED_KEY');
    const listed = await fetch(`${gw.url}/api/keys`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    assert.doesNotMatch(await listed.text(), /"hash"|sb_[0-9a-f]{8}_[A-Za-z0-9_-]{43}/, 'no hash and no whole key in listings');
  });

  it('a body over the limit → 413 SB_BODY_TOO_LARGE', async () => {
    const res = await chat({ model: 'mock', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'SB_BODY_TOO_LARGE');
  });

  it('invalid UTF-8 → SB_INVALID_UTF8; a non-JSON content type → 415', async () => {
    const bytes = Buffer.concat([Buffer.from('{"model":"mock","messages":[{"role":"user","content":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}]}')]);
    const res = await post('/v1/chat/completions', bytes);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SB_INVALID_UTF8');
    const text = await post('/v1/chat/completions', 'hello', { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.equal(text.body.error.code, 'SB_UNSUPPORTED_MEDIA_TYPE');
  });

  it('an unknown route → 404 SB_NOT_FOUND in the generic shape', async () => {
    const res = await fetch(`${gw.url}/api/nothing-here`);
    assert.equal(res.status, 404);
    const body = await res.json() as any;
    assert.equal(body.error.code, 'SB_NOT_FOUND');
    assert.equal(typeof body.error.request_id, 'string');
  });

  it('a client that disconnects mid-stream aborts the upstream call and the record says so', async () => {
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' } }, (res) => {
        res.once('data', () => { req.destroy(); resolve(String(res.headers['x-request-id'])); });
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(JSON.stringify({ model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'a long answer please' }] }));
    });
    let records: Rec[] = [];
    for (let i = 0; i < 50 && !records.some((r) => r.kind === 'request'); i++) {
      await sleep(20);
      records = await usageFor(gw, requestId);
    }
    assert.deepEqual(records.map((r) => [r.kind, r.outcome]).sort(), [['attempt', 'client_aborted'], ['request', 'client_aborted']]);
  });

  it('keeps serving after all of that', async () => {
    const res = await chat({ model: 'mock', messages: [{ role: 'user', content: 'still there?' }] });
    assert.equal(res.status, 200);
    assert.match(res.body.choices[0].message.content, /still there/);
  });
});
