// Budgets on a running gateway: a $1.00 daily budget hit by 500 concurrent requests of random true cost is never
// overspent, no request is billed twice, every refusal is 402 SB_BUDGET_EXCEEDED; a soft budget only alerts, each
// threshold once, to the webhook; GET /api/workspaces/{id}/budget shows spend against each limit.
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { adminCall } from '../support/admin-call.ts';
import { startGateway, type TestGateway } from '../support/start-gateway.ts';
import { until } from '../support/until.ts';

// $1 per thousand input tokens, $2 per thousand output tokens: a request costs a few cents.
const PRICE = { inputPerMTok: 1000, outputPerMTok: 2000 };

describe('budgets', () => {
  let gw: TestGateway;
  let webhook: Server;
  const alerts: Array<{ workspaceId: string; period: string; thresholdPercent: number; spentUsd: number }> = [];
  const call = adminCall(() => gw);
  const keys: Record<string, string> = {};
  const chat = (key: string, maxTokens: number, words = 1) => call('POST', '/v1/chat/completions', {
    model: 'mock', max_tokens: maxTokens, messages: [{ role: 'user', content: 'tell me more '.repeat(words) }],
  }, { authorization: `Bearer ${key}` });

  before(async () => {
    webhook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => { body += c.toString(); });
      req.on('end', () => { alerts.push(JSON.parse(body)); res.end(); });
    });
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    gw = await startGateway({
      config: {
        providers: [{ name: 'mock', type: 'mock', models: ['mock'] }],
        pricing: { mock: PRICE },
        workspaces: { hard: { budgetLimits: { daily: 1 } }, soft: { budgetLimits: { monthly: 0.2, enforcement: 'soft' } } },
        limits: { budgetAlerts: { webhookUrl: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/alerts` } },
      },
    });
    for (const ws of ['hard', 'soft']) keys[ws] = (await call('POST', '/api/keys', { name: ws, workspaceId: ws })).body.key;
  });
  after(async () => {
    await gw.close();
    await new Promise<void>((resolve) => webhook.close(() => resolve()));
  });

  it('never spends more than a $1.00 budget under 500 concurrent requests of random cost, and bills each once', async () => {
    let seed = 7;
    const random = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return 1 + (seed % n); };
    const results = await Promise.all(Array.from({ length: 500 }, () => chat(keys.hard!, random(40), random(6))));
    const ok = results.filter((r) => r.status === 200);
    const refused = results.filter((r) => r.status !== 200);
    assert.ok(ok.length > 10 && refused.length > 10, `${ok.length} served, ${refused.length} refused`);
    for (const r of refused) {
      assert.equal(r.status, 402, r.text);
      assert.equal(r.body.error.code, 'SB_BUDGET_EXCEEDED');
      assert.match(r.body.error.message, /daily budget of \$1/);
    }
    const records = (await call('GET', '/api/usage?workspace_id=hard&limit=1000')).body.data as Array<{ kind: string; requestId: string; costUsd: number; outcome: string }>;
    const requests = records.filter((r) => r.kind === 'request');
    assert.equal(requests.length, ok.length, 'one request record per served request (refused ones never reached a provider)');
    assert.equal(new Set(requests.map((r) => r.requestId)).size, requests.length, 'no request billed twice');
    const burst = requests.reduce((sum, r) => sum + r.costUsd, 0);
    assert.ok(burst <= 1.0, `spent $${burst} in the burst`);
    // One request after another, what the burst's reservations left can be spent too, up to one request's worst
    // case (about $0.13 here: the body's bytes at the input price, 5 tokens of output) short of the limit.
    // A refusal may still see a reservation whose settlement (after the answer, off its path) is under way: only a
    // second refusal, a moment later, ends the loop.
    for (let i = 0, refusals = 0; i < 200 && refusals < 2; i++) {
      if ((await chat(keys.hard!, 5)).status === 200) {
        refusals = 0;
      } else {
        refusals++;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
    }
    const all = ((await call('GET', '/api/usage?workspace_id=hard&limit=1000')).body.data as Array<{ kind: string; requestId: string; costUsd: number }>).filter((r) => r.kind === 'request');
    const spent = all.reduce((sum, r) => sum + r.costUsd, 0);
    assert.ok(spent <= 1.0, `spent $${spent}`);
    assert.ok(spent > 0.85, `spent $${spent}: the budget was used up to one request's worst case, not refused early`);
    // Every reservation has been settled to the real cost: the view shows what was billed.
    await until(async () => Math.abs((await call('GET', '/api/workspaces/hard/budget')).body.periods[0].spentUsd - spent) < 1e-6, 'reservations settled');
    const view = (await call('GET', '/api/workspaces/hard/budget')).body;
    assert.equal(view.enforcement, 'hard');
    assert.equal(view.timeZone, 'UTC');
    assert.deepEqual(view.periods.map((p: { period: string; limitUsd: number }) => [p.period, p.limitUsd]), [['daily', 1]]);
    assert.ok(Math.abs(view.periods[0].remainingUsd - (1 - spent)) < 1e-6);
    assert.ok(Date.parse(view.periods[0].resetsAt) > Date.now());
    assert.equal((await chat(keys.hard!, 5)).body.error.code, 'SB_BUDGET_EXCEEDED', 'a worst case over what is left is refused');
  });

  it('counts a soft budget without refusing, and alerts once at each threshold', async () => {
    for (let i = 0; i < 12; i++) assert.equal((await chat(keys.soft!, 20)).status, 200);
    await until(() => alerts.filter((a) => a.workspaceId === 'soft').length === 3, 'three alerts');
    const soft = alerts.filter((a) => a.workspaceId === 'soft');
    assert.deepEqual(soft.map((a) => [a.period, a.thresholdPercent]), [['monthly', 50], ['monthly', 80], ['monthly', 100]]);
    assert.ok(soft[2]!.spentUsd >= 0.2);
    const view = (await call('GET', '/api/workspaces/soft/budget')).body;
    assert.equal(view.enforcement, 'soft');
    assert.ok(view.periods[0].spentUsd > 0.2, 'spend went on past a soft limit');
    assert.equal(view.periods[0].remainingUsd, 0);
  });

  it("holds a key to its own budget, beside its workspace's", async () => {
    const made = await call('POST', '/api/keys', { name: 'capped', workspaceId: 'soft', budgetLimits: { daily: 0.5 } });
    assert.equal(made.status, 201, made.text);
    assert.deepEqual(made.body.budgetLimits, { daily: 0.5 });
    let served = 0;
    let refused: Awaited<ReturnType<typeof chat>> | undefined;
    for (let i = 0; i < 100 && refused === undefined; i++) {
      const res = await chat(made.body.key, 5);
      if (res.status === 200) served++;
      else refused = res;
    }
    assert.equal(refused?.status, 402);
    assert.match(refused?.body.error.message, /The key's daily budget of \$0.5/);
    const records = ((await call('GET', '/api/usage?workspace_id=soft&limit=1000')).body.data as Array<{ kind: string; keyId: string; costUsd: number }>)
      .filter((r) => r.kind === 'request' && r.keyId === made.body.id);
    assert.equal(records.length, served);
    const spent = records.reduce((sum, r) => sum + r.costUsd, 0);
    assert.ok(spent <= 0.5 && spent > 0.35, `the key spent $${spent}`);
    // GET /api/keys/{id}/budget shows the key's own spend (settled by now: the records are written).
    const view = await call('GET', `/api/keys/${made.body.id}/budget`);
    assert.equal(view.status, 200, view.text);
    assert.equal(view.body.keyId, made.body.id);
    assert.equal(view.body.workspaceId, 'soft');
    const daily = view.body.periods.find((p: { period: string }) => p.period === 'daily');
    assert.equal(daily.limitUsd, 0.5);
    assert.ok(Math.abs(daily.spentUsd - spent) < 1e-6, `view ${daily.spentUsd} vs billed ${spent}`);
    assert.match(daily.resetsAt, /^\d{4}-\d\d-\d\dT/);
    // Another workspace's key cannot read it.
    assert.equal((await call('GET', `/api/keys/${made.body.id}/budget`, undefined, { authorization: `Bearer ${keys.hard!}` })).body.error.code, 'SB_KEY_NOT_FOUND');
    // The workspace's other key is not held to it.
    assert.equal((await chat(keys.soft!, 5)).status, 200);
    const lifetime = await call('POST', '/api/keys', { name: 'lifetime', workspaceId: 'soft', budgetLimits: { total: 0.01 } });
    const over = await chat(lifetime.body.key, 5);
    assert.equal(over.status, 402);
    assert.match(over.body.error.message, /total budget of \$0.01 .* it does not start again/);
    assert.equal(over.headers.get('retry-after'), null);
    const bad = await call('POST', '/api/keys', { name: 'x', workspaceId: 'soft', budgetLimits: { daily: -1 } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.param, 'budgetLimits.daily');
  });

  it('shows a workspace its own budget only', async () => {
    const res = await call('GET', '/api/workspaces/soft/budget', undefined, { authorization: `Bearer ${keys.hard!}` });
    assert.equal(res.body.error.code, 'SB_WORKSPACE_FORBIDDEN');
    assert.equal((await call('GET', '/api/workspaces/hard/budget', undefined, { authorization: `Bearer ${keys.hard!}` })).status, 200);
  });
});
