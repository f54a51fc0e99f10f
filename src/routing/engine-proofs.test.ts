// The routing issue's proofs on the pure engine: splits within ±2 % over 10,000 decisions, stickiness per key,
// priority between overlapping rules, and inactive or restricted models never served, whatever names them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../config/schema.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import { testFacts } from '../../test/support/request-facts-factory.ts';
import { decide, type DecisionInput } from './engine.ts';
import { ModelCatalogue } from './model-catalogue.ts';
import { RoutingTable } from './routing-table.ts';
import { stickyHash } from './sticky-hash.ts';
import { testPrincipal } from '../../test/support/principal-factory.ts';

const PROVIDERS = [
  { name: 'openai', type: 'openai', apiKey: 'env:K' },
  { name: 'anthropic', type: 'anthropic', apiKey: 'env:K' },
  { name: 'mock', type: 'mock', models: ['mock'] },
];
const FORMATS = new Map<string, WireFormat>([['openai', 'openai'], ['anthropic', 'anthropic'], ['mock', 'openai']]);
const PRINCIPAL = testPrincipal({ keyId: 'k1' });

function table(sections: Record<string, unknown>): RoutingTable {
  const config = configSchema.parse({ providers: PROVIDERS, ...sections });
  return new RoutingTable(config, new ModelCatalogue(config, FORMATS), () => undefined);
}

/** A fixed sequence of "random" numbers, so a decision is a function of its inputs. */
function sequence(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length] as number;
}

function input(t: RoutingTable, facts: Parameters<typeof testFacts>[0], extra: Partial<DecisionInput> = {}): DecisionInput {
  return { facts: testFacts(facts), principal: PRINCIPAL, table: t, health: undefined, random: Math.random, hash: stickyHash, now: Date.parse('2026-12-02T12:00:00Z'), explain: false, ...extra };
}

// Seed 002's "Creative Agent Claude Preference" rule, as the seed writes it.
const SEED_RULE = {
  name: 'Creative Agent Claude Preference',
  condition: { agentType: ['creative'], requestType: ['completion', 'chat'], contentLength: { min: 100, max: 2000 } },
  targetModels: [{ modelId: 'claude-3-sonnet', weight: 0.7, fallbackOrder: 1 }, { modelId: 'gpt-4', weight: 0.3, fallbackOrder: 2 }],
  trafficSplit: { primary: 80, canary: 20 },
  priority: 100,
  enabled: true,
};
const CREATIVE = { agentType: 'creative', requestType: 'completion', contentLength: () => 500, model: undefined };

describe('routing engine: splits and stickiness', () => {
  it('sends 20 % ± 2 of 10,000 users to the canary of an 80/20 split, each user always to the same side', () => {
    const t = table({ routingRules: [SEED_RULE] });
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      const d = decide(input(t, { ...CREATIVE, userId: `user-${i}` }));
      assert.equal(d.tags.ruleId, 'creative-agent-claude-preference');
      if (d.model === 'gpt-4') canary++;
    }
    assert.ok(Math.abs(canary / 10_000 - 0.2) <= 0.02, `canary share ${canary / 10_000}`);
    for (const user of ['user-1', 'user-42', 'user-9999']) {
      const first = decide(input(t, { ...CREATIVE, userId: user })).model;
      for (let i = 0; i < 100; i++) assert.equal(decide(input(t, { ...CREATIVE, userId: user }, { random: Math.random })).model, first);
    }
  });

  it('splits 70/30 by weight within ±2 % over 10,000 requests, and never picks a weight of 0 first', () => {
    const t = table({ routingRules: [{ name: 'weights', stickyKey: 'request', targetModels: [{ modelId: 'gpt-4o', weight: 70 }, { modelId: 'claude-sonnet-4-5', weight: 30 }, { modelId: 'mock', weight: 0 }] }] });
    const counts = new Map<string, number>();
    for (let i = 0; i < 10_000; i++) {
      const model = decide(input(t, { model: 'x' })).model ?? '';
      counts.set(model, (counts.get(model) ?? 0) + 1);
    }
    assert.ok(Math.abs((counts.get('gpt-4o') ?? 0) / 10_000 - 0.7) <= 0.02, JSON.stringify([...counts]));
    assert.equal(counts.get('mock'), undefined);
  });

  it('is deterministic under an injected random source and hash, and explains only when asked', () => {
    const t = table({ routingRules: [{ ...SEED_RULE, stickyKey: 'request' }] });
    const a = decide(input(t, CREATIVE, { random: sequence(0.1, 0.9), hash: () => 0.5 }));
    const b = decide(input(t, CREATIVE, { random: sequence(0.1, 0.9), hash: () => 0.5 }));
    assert.deepEqual(a, b);
    assert.equal(a.explanation, undefined);
    // 0.1 < 0.2: the canary side; the canary group has one target.
    assert.equal(a.model, 'gpt-4');
    assert.deepEqual(a.plan.targets.map((x) => x.label), ['openai/gpt-4', 'anthropic/claude-3-sonnet']);
    const explained = decide(input(t, CREATIVE, { random: sequence(0.1, 0.9), explain: true }));
    assert.ok(explained.explanation !== undefined && explained.explanation.steps.some((s) => s.step === 'rule'));
  });
});

describe('routing engine: rules, status and restrictions', () => {
  it('resolves overlapping rules by priority, then by order, and skips disabled ones', () => {
    const t = table({
      routingRules: [
        { id: 'low', name: 'low', condition: { agentType: ['a'] }, targetModels: [{ modelId: 'mock' }], priority: 1 },
        { id: 'off', name: 'off', condition: { agentType: ['a'] }, targetModels: [{ modelId: 'gpt-4o' }], priority: 99, enabled: false },
        { id: 'high', name: 'high', condition: { agentType: ['a'] }, targetModels: [{ modelId: 'claude-sonnet-4-5' }], priority: 50 },
        { id: 'high-too', name: 'high too', condition: { agentType: ['a'] }, targetModels: [{ modelId: 'gpt-4o-mini' }], priority: 50 },
      ],
    });
    const d = decide(input(t, { agentType: 'a', model: 'mock' }, { explain: true }));
    assert.equal(d.tags.ruleId, 'high');
    assert.deepEqual(d.explanation?.steps.find((s) => s.step === 'rule')?.checked?.map((c) => c.id), ['high'], 'the first match by priority ends the search');
    assert.equal(decide(input(t, { agentType: 'b', model: 'mock' })).tags.ruleId, null);
  });

  it('never serves an inactive model, whether requested, named by a rule, an override or a fallback', () => {
    const t = table({
      models: [
        { name: 'retired', provider: 'mock', version: 'mock', status: 'inactive' },
        { name: 'current', provider: 'mock', version: 'mock', fallbacks: ['retired'] },
      ],
      routingRules: [{ name: 'to retired', condition: { agentType: ['r'] }, targetModels: [{ modelId: 'retired' }, { modelId: 'current' }] }],
      overrides: [{ kind: 'force_target', match: { model: 'gpt-4o' }, modelId: 'retired', reason: 'test', expiresAt: '2027-01-01T00:00:00Z' }],
    });
    const served = (facts: Parameters<typeof testFacts>[0]): string[] => decide(input(t, facts)).plan.targets.map((x) => x.modelKey);
    assert.deepEqual(served({ model: 'retired' }), []);
    assert.equal(decide(input(t, { model: 'retired' })).failure?.code, 'SB_MODEL_INACTIVE');
    assert.deepEqual(served({ model: 'x', agentType: 'r' }), ['current']);
    assert.deepEqual(served({ model: 'current' }), ['current']);
    assert.equal(decide(input(t, { model: 'gpt-4o' })).failure?.code, 'SB_MODEL_INACTIVE');
  });

  it("never serves a model outside the workspace's restrictions or compliance, nor one the key may not use", () => {
    const t = table({
      models: [
        { name: 'eu-model', provider: 'mock', version: 'mock', complianceTags: ['gdpr'] },
        { name: 'us-model', provider: 'mock', version: 'mock', fallbacks: ['eu-model'] },
      ],
      workspaces: { eu: { complianceRequirements: ['gdpr'] }, narrow: { modelRestrictions: ['us-model'] } },
    });
    assert.deepEqual(decide(input(t, { model: 'us-model', workspaceId: 'eu' })).plan.targets.map((x) => x.modelKey), ['eu-model']);
    assert.equal(decide(input(t, { model: 'gpt-4o', workspaceId: 'eu' })).failure?.code, 'SB_MODEL_RESTRICTED');
    assert.equal(decide(input(t, { model: 'eu-model', workspaceId: 'narrow' })).failure?.code, 'SB_MODEL_RESTRICTED');
    const limited = { ...PRINCIPAL, models: new Set(['eu-model']) };
    assert.deepEqual(decide({ ...input(t, { model: 'us-model' }), principal: limited }).plan.targets.map((x) => x.modelKey), ['eu-model']);
  });

  it('applies an override until it expires, and says so in the explanation', () => {
    const t = table({ overrides: [{ id: 'pin-ws', kind: 'pin', match: { workspaceId: 'ws-1' }, modelId: 'mock', reason: 'incident', expiresAt: '2026-12-02T13:00:00Z' }] });
    const during = decide(input(t, { model: 'gpt-4o', workspaceId: 'ws-1' }, { explain: true }));
    assert.equal(during.model, 'mock');
    assert.equal(during.overrideId, 'pin-ws');
    assert.match(during.explanation?.steps[0]?.result ?? '', /override pin-ws \(pin\).*incident/);
    const after = decide(input(t, { model: 'gpt-4o', workspaceId: 'ws-1' }, { now: Date.parse('2026-12-02T13:00:01Z') }));
    assert.equal(after.model, 'gpt-4o');
  });
});
