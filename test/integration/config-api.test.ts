// The configuration's admin API against a real gateway: changes, imports, history, rollback and bad input.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';

interface Res { readonly status: number; readonly body: any; readonly text: string }

describe('configuration admin API', () => {
  let gw: TestGateway;
  const call = async (method: string, path: string, body?: unknown, key = ADMIN_KEY): Promise<Res> => {
    const res = await fetch(`${gw.url}${path}`, {
      method, headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: res.status, body: parsed, text };
  };
  const chat = (model: string): Promise<Res> => call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] });

  before(async () => {
    gw = await startGateway({ config: { providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }] } });
  });
  after(() => gw.close());

  it('shows the current version and the shared sections, to an admin key only', async () => {
    const res = await call('GET', '/api/config');
    assert.equal(res.status, 200);
    assert.equal(res.body.version, 1);
    assert.equal(res.body.status.state, 'ok');
    assert.deepEqual(res.body.config.providers.map((p: { name: string }) => p.name), ['mock']);
    assert.equal(res.body.config.server, undefined, 'process settings are not part of it');
    const created = await call('POST', '/api/keys', { name: 'app', role: 'inference' });
    assert.equal((await call('GET', '/api/config', undefined, created.body.key)).status, 403);
    assert.equal((await call('GET', '/api/config', undefined, 'sb_wrong')).status, 401);
  });

  it('applies a change at once: a model added through the API is routable by the next request', async () => {
    assert.equal((await chat('fast')).status, 404);
    const dry = await call('PATCH', '/api/config?dry_run=true', { models: [{ name: 'fast', provider: 'mock', model: 'mock-large' }] });
    assert.equal(dry.status, 200);
    assert.equal(dry.body.applied, false);
    assert.equal(dry.body.dry_run, true);
    assert.equal((await chat('fast')).status, 404, 'a dry run applies nothing');
    const res = await call('PATCH', '/api/config', { models: [{ name: 'fast', provider: 'mock', model: 'mock-large' }] });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.body.applied, true);
    assert.ok(res.body.version >= 2);
    const answer = await chat('fast');
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.body.model, 'mock-large');
    const versions = await call('GET', '/api/config/versions');
    assert.equal(versions.body.data[0].version, res.body.version);
    assert.equal(versions.body.data[0].author, 'env-admin');
    const one = await call('GET', `/api/config/versions/${res.body.version}`);
    assert.ok(one.body.diff.some((d: { path: string }) => d.path === 'models'), one.text);
  });

  it('refuses an invalid change whole with every problem and its path, and keeps serving', async () => {
    const before = (await call('GET', '/api/config')).body.version;
    const res = await call('PATCH', '/api/config', {
      routing: { defaultMaxTokens: 0 },
      routingRules: [{ name: 'r', targetModels: [{ modelId: 'gpt-nine' }] }],
      models: [{ name: 'x', provider: 'ghost' }],
    });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SB_CONFIG_INVALID');
    const paths = res.body.error.issues.map((i: { path: string }) => i.path);
    assert.ok(paths.includes('routing.defaultMaxTokens'), paths.join());
    assert.equal((await call('GET', '/api/config')).body.version, before);
    assert.equal((await chat('mock')).status, 200);
  });

  it('refuses unknown sections and fields, process settings and secrets in clear', async () => {
    const unknown = await call('PATCH', '/api/config', { colour: 'blue', server: { port: 1 } });
    assert.equal(unknown.status, 400);
    assert.deepEqual(unknown.body.error.issues.map((i: { path: string }) => i.path).sort(), ['colour', 'server']);
    const field = await call('PATCH', '/api/config', { routing: { defaultMaxTokenz: 5 } });
    assert.equal(field.status, 400);
    assert.match(field.text, /defaultMaxTokenz/);
    const secret = await call('PATCH', '/api/config', { providers: [{ name: 'openai', type: 'openai', apiKey: 'sk-live-0123456789' }] });
    assert.equal(secret.status, 400);
    assert.doesNotMatch(secret.text, /sk-live-0123456789/);
    assert.match(secret.text, /env:NAME or file:\/path/);
    const mock = { name: 'mock', type: 'mock', models: ['mock', 'mock-large'] };
    const missing = await call('PATCH', '/api/config', { providers: [mock, { name: 'openai', type: 'openai', apiKey: 'env:NO_SUCH_VARIABLE_HERE' }] });
    assert.equal(missing.status, 400);
    assert.deepEqual(missing.body.error.issues.map((i: { path: string }) => i.path), ['providers.1.apiKey']);
  });

  it('imports seed 002\'s body (dry run, then for real), exports it back unchanged and rolls back', async () => {
    const body = {
      config: {
        models: [{ name: 'creative-model', provider: 'mock', model: 'mock-large' }],
        routingRules: [{ name: 'Creative', condition: { agentType: ['creative'] }, targetModels: [{ modelId: 'creative-model', weight: 1, fallbackOrder: 1 }], priority: 100, enabled: true }],
        agentPreferences: { creative: { preferredModels: ['creative-model'], fallbackModels: ['mock'] } },
        workspaceConfigs: { 'ws-marketing-001': { modelRestrictions: ['creative-model'], budgetLimits: { daily: 100, weekly: 500, monthly: 2000 }, complianceRequirements: ['gdpr'] } },
      },
    };
    const start = (await call('GET', '/api/config')).body.version;
    const dry = await call('POST', '/api/config/import?dry_run=true', body);
    assert.equal(dry.status, 200, dry.text);
    assert.equal(dry.body.applied, false);
    assert.ok(dry.body.changes.length > 0);
    assert.equal((await call('GET', '/api/config')).body.version, start);
    const done = await call('POST', '/api/config/import', body);
    assert.equal(done.status, 200, done.text);
    assert.equal(done.body.version, start + 1);
    const exported = await call('GET', '/api/config/export');
    assert.equal(exported.body.config.workspaces['ws-marketing-001'].budgetLimits.daily, 100);
    const again = await call('POST', '/api/config/import', { config: exported.body.config });
    assert.equal(again.body.applied, false, 'export → import is the same configuration');
    assert.equal((await chat('creative-model')).status, 200);
    const back = await call('POST', '/api/config/rollback', { version: start });
    assert.equal(back.status, 200, back.text);
    assert.equal((await chat('creative-model')).status, 404);
    assert.deepEqual((await call('GET', '/api/config/export')).body.config.routingRules, []);
  });

  it('answers bad history requests with SB_* codes', async () => {
    const unknown = await call('GET', '/api/config/versions/9999');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'SB_CONFIG_VERSION_NOT_FOUND');
    assert.equal((await call('POST', '/api/config/rollback', { version: 9999 })).body.error.code, 'SB_CONFIG_VERSION_NOT_FOUND');
    const badNumber = await call('GET', '/api/config/versions/abc');
    assert.equal(badNumber.status, 400);
    assert.equal(badNumber.body.error.code, 'SB_INVALID_REQUEST');
    const badRollback = await call('POST', '/api/config/rollback', { version: 'one' });
    assert.equal(badRollback.status, 400);
    assert.equal(badRollback.body.error.param, 'version');
    const malformed = await call('POST', '/api/config/import', '{"config": {');
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'SB_INVALID_JSON');
    const notObject = await call('POST', '/api/config/import', { config: [1, 2] });
    assert.equal(notObject.status, 400);
    assert.equal(notObject.body.error.code, 'SB_CONFIG_INVALID');
    const extra = await call('POST', '/api/config/import', { config: {}, also: 1 });
    assert.equal(extra.status, 400);
    const huge = await call('POST', '/api/config/import', `{"config":{"pricing":{${Array.from({ length: 400_000 }, (_, i) => `"m${i}":{"inputPerMTok":1,"outputPerMTok":1}`).join(',')}}}}`);
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'SB_BODY_TOO_LARGE');
  });
});
