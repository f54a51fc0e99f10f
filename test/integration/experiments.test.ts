// A/B experiments through the admin API of a running gateway: a draft assigns nothing, a running one splits /v1
// traffic by user and counts each variant from the usage records of real requests, feedback is joined by request
// id, the verdict comes from the significance tests, and promoting the winner is one config version that adds the
// rule making it permanent.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { adminCall, issuePaths } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';

const CONFIG = {
  providers: [{ name: 'mock', type: 'mock', models: ['mock', 'mock-large'] }],
  models: [
    { name: 'Steady', id: 'steady', provider: 'mock', version: 'mock' },
    { name: 'Broken', id: 'broken', provider: 'mock', version: 'mock-error-400' },
    { name: 'Large', id: 'large', provider: 'mock', version: 'mock-large' },
  ],
};

const AB = {
  id: 'writer-ab',
  name: 'Writer A/B',
  condition: { agentType: ['writer'] },
  variants: [
    { name: 'control', modelId: 'broken', allocation: 50 },
    { name: 'challenger', modelId: 'steady', allocation: 50 },
  ],
  primaryMetric: 'success_rate',
  // Large enough an effect that 60 requests an arm reach the sample size the verdict waits for.
  minimumEffect: 0.3,
};

describe('experiments admin API', () => {
  let gw: TestGateway;
  const call = adminCall(() => gw);
  const writer = (user: string, model = 'large') => call('POST', '/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hi' }] }, {
    'x-switchboard-agent-type': 'writer', 'x-switchboard-user': user,
  });

  before(async () => {
    gw = await startGateway({ config: CONFIG });
  });
  after(() => gw.close());

  it('creates a draft (201) that assigns no traffic; the version history says who made it', async () => {
    const res = await call('POST', '/api/experiments', AB);
    assert.equal(res.status, 201, res.text);
    assert.equal(res.body.status, 'draft');
    assert.equal(res.body.stickyKey, 'user');
    assert.equal(res.body.confidence, 0.95);
    assert.ok(!Number.isNaN(Date.parse(res.body.createdAt)));
    const version = (await call('GET', '/api/config/versions')).body.data[0];
    assert.equal(version.summary, 'experiment writer-ab created (draft): control (broken) 50%, challenger (steady) 50%');
    const served = await writer('u-1');
    assert.equal(served.status, 200, served.text);
    assert.equal(served.headers.get('x-switchboard-model'), 'large');
    const list = await call('GET', '/api/experiments');
    assert.deepEqual(list.body.data.map((e: { id: string }) => e.id), ['writer-ab']);
    assert.equal(list.body.total, 1);
  });

  it('refuses bad experiments naming the field, and read-only fields', async () => {
    const sum = await call('POST', '/api/experiments', { ...AB, id: 'bad-sum', variants: [{ name: 'a', modelId: 'steady', allocation: 60 }, { name: 'b', modelId: 'large', allocation: 60 }] });
    assert.equal(sum.status, 400);
    assert.equal(sum.body.error.code, 'SB_INVALID_REQUEST');
    assert.deepEqual(issuePaths(sum), ['variants']);
    const one = await call('POST', '/api/experiments', { ...AB, id: 'one', variants: [{ name: 'a', modelId: 'steady', allocation: 100 }] });
    assert.deepEqual(issuePaths(one), ['variants']);
    const missing = await call('POST', '/api/experiments', { ...AB, id: 'missing', variants: [{ name: 'a', modelId: 'steady', allocation: 50 }, { name: 'b', modelId: 'nope', allocation: 50 }] });
    assert.equal(missing.status, 400, missing.text);
    assert.match(missing.text, /nope/);
    const status = await call('POST', '/api/experiments', { ...AB, id: 'forced', status: 'running' });
    assert.equal(status.status, 400);
    assert.deepEqual(issuePaths(status), ['status']);
    assert.equal((await call('GET', '/api/experiments')).body.total, 1);
  });

  it('answers SB_EXPERIMENT_NOT_FOUND for an unknown id and SB_EXPERIMENT_STATE for a step out of order', async () => {
    for (const [method, path] of [['GET', '/api/experiments/nope'], ['POST', '/api/experiments/nope/start'], ['POST', '/api/experiments/nope/stop'], ['POST', '/api/experiments/nope/promote'], ['POST', '/api/experiments/nope/feedback']] as const) {
      const res = await call(method, path, method === 'POST' ? { requestId: 'r', score: 1 } : undefined);
      assert.equal(res.status, 404, `${method} ${path}: ${res.text}`);
      assert.equal(res.body.error.code, 'SB_EXPERIMENT_NOT_FOUND');
    }
    const stop = await call('POST', '/api/experiments/writer-ab/stop');
    assert.equal(stop.status, 409);
    assert.equal(stop.body.error.code, 'SB_EXPERIMENT_STATE');
    const promote = await call('POST', '/api/experiments/writer-ab/promote', {});
    assert.equal(promote.body.error.code, 'SB_EXPERIMENT_STATE');
  });

  it('once started, splits the matching traffic by user, sticky, and leaves other traffic alone', async () => {
    const started = await call('POST', '/api/experiments/writer-ab/start');
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.status, 'running');
    assert.ok(!Number.isNaN(Date.parse(started.body.startedAt)));
    const models = new Map<string, string | null>();
    for (let i = 0; i < 120; i++) {
      const res = await writer(`user-${i}`);
      const model = res.headers.get('x-switchboard-model');
      models.set(`user-${i}`, model);
      assert.equal(res.status, model === 'broken' ? 400 : 200, res.text);
    }
    const broken = [...models.values()].filter((m) => m === 'broken').length;
    assert.ok(broken > 35 && broken < 85, `control took ${broken} of 120`);
    assert.equal(120 - broken, [...models.values()].filter((m) => m === 'steady').length);
    for (const user of ['user-1', 'user-2', 'user-3']) {
      assert.equal((await writer(user)).headers.get('x-switchboard-model'), models.get(user), `${user} stays on its variant`);
    }
    const other = await call('POST', '/v1/chat/completions', { model: 'large', messages: [{ role: 'user', content: 'hi' }] }, { 'x-switchboard-user': 'user-1' });
    assert.equal(other.headers.get('x-switchboard-model'), 'large');
  });

  it('reports each variant from real requests, with the test against the control and a verdict', async () => {
    const res = await call('GET', '/api/experiments/writer-ab');
    assert.equal(res.status, 200, res.text);
    const { results } = res.body;
    assert.equal(results.primaryMetric, 'success_rate');
    const [control, challenger] = results.variants;
    assert.equal(control.name, 'control');
    assert.equal(control.successRate, 0);
    assert.equal(challenger.successRate, 1);
    assert.equal(control.requests + challenger.requests, 123);
    assert.ok(challenger.latencyMs.mean >= 0);
    assert.ok(challenger.tokens.mean > 0);
    const [comparison] = results.comparisons;
    assert.equal(comparison.test, 'two-proportion-z');
    assert.equal(comparison.variant, 'challenger');
    assert.equal(comparison.difference, 1);
    assert.ok(comparison.pValue < 1e-6, String(comparison.pValue));
    assert.equal(comparison.verdict, 'b_better');
    assert.ok(comparison.minimumSampleSize > 0);
    assert.equal(results.winner, 'challenger');
  });

  it('joins feedback scores by request id', async () => {
    const res = await writer('user-7');
    const requestId = res.headers.get('x-request-id');
    assert.ok(requestId);
    const posted = await call('POST', '/api/experiments/writer-ab/feedback', { requestId, score: 4, comment: 'good' });
    assert.equal(posted.status, 201, posted.text);
    assert.deepEqual({ ...posted.body, at: undefined }, { experimentId: 'writer-ab', requestId, score: 4, comment: 'good', at: undefined });
    const again = await call('POST', '/api/experiments/writer-ab/feedback', { requestId, score: 2 });
    assert.equal(again.status, 201);
    const variant = models(await call('GET', '/api/experiments/writer-ab')).find((v) => v.feedback.count > 0);
    assert.deepEqual(variant?.feedback, { count: 1, mean: 2 });
    const bad = await call('POST', '/api/experiments/writer-ab/feedback', { requestId, score: 'high' });
    assert.equal(bad.status, 400);
    assert.deepEqual(issuePaths(bad), ['score']);
  });

  it('stops (no more assignment, results kept) and promotes the winner as one version with its rule', async () => {
    const stopped = await call('POST', '/api/experiments/writer-ab/stop');
    assert.equal(stopped.body.status, 'stopped');
    assert.equal((await writer('user-1')).headers.get('x-switchboard-model'), 'large');
    const before = (await call('GET', '/api/config/versions')).body.data[0].version;
    const promoted = await call('POST', '/api/experiments/writer-ab/promote', {});
    assert.equal(promoted.status, 200, promoted.text);
    assert.equal(promoted.body.experiment.status, 'completed');
    assert.equal(promoted.body.experiment.winner, 'challenger');
    assert.equal(promoted.body.rule.id, 'writer-ab-winner');
    assert.deepEqual(promoted.body.rule.condition, { agentType: ['writer'] });
    const versions = (await call('GET', '/api/config/versions')).body.data;
    assert.equal(versions[0].version, before + 1);
    assert.match(versions[0].summary, /^experiment writer-ab promoted: variant challenger \(steady\) won; rule writer-ab-winner/);
    for (const user of ['user-1', 'user-2', 'someone-new']) {
      const res = await writer(user);
      assert.equal(res.headers.get('x-switchboard-model'), 'steady');
      assert.equal(res.headers.get('x-switchboard-rule'), 'writer-ab-winner');
    }
    assert.equal((await call('POST', '/api/experiments/writer-ab/start')).body.error.code, 'SB_EXPERIMENT_STATE');
  });

  it('promotes an experiment without a condition onto the model named, and refuses a variant that does not exist', async () => {
    const created = await call('POST', '/api/experiments', { ...AB, id: 'open-ab', name: 'Open', condition: undefined });
    assert.equal(created.status, 201, created.text);
    assert.equal((await call('POST', '/api/experiments/open-ab/start')).status, 200);
    const noModel = await call('POST', '/api/experiments/open-ab/promote', { variant: 'challenger' });
    assert.equal(noModel.body.error.code, 'SB_EXPERIMENT_STATE');
    const noVariant = await call('POST', '/api/experiments/open-ab/promote', { variant: 'nobody', model: 'large' });
    assert.equal(noVariant.status, 400);
    assert.deepEqual(issuePaths(noVariant), ['variant']);
    const promoted = await call('POST', '/api/experiments/open-ab/promote', { variant: 'challenger', model: 'large' });
    assert.equal(promoted.status, 200, promoted.text);
    assert.deepEqual(promoted.body.rule.condition, { model: ['large'] });
    const res = await call('POST', '/v1/chat/completions', { model: 'large', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(res.headers.get('x-switchboard-model'), 'steady');
    assert.equal(res.headers.get('x-switchboard-rule'), 'open-ab-winner');
  });

  it('exports the experiments with the configuration', async () => {
    const exported = await call('GET', '/api/config/export');
    assert.equal(exported.status, 200, exported.text);
    const ids = (exported.body.config.experiments as Array<{ id: string; status: string }>).map((e) => `${e.id}:${e.status}`);
    assert.deepEqual(ids, ['writer-ab:completed', 'open-ab:completed']);
  });
});

function models(res: { body: { results: { variants: Array<{ feedback: { count: number; mean: number | null } }> } } }) {
  return res.body.results.variants;
}
