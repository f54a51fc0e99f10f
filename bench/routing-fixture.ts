// The routing configuration the benchmark loads: 50 models and 100 rules, 80 keyed by agent type and 20 on request
// metadata (those are checked on every request), none of which the bench request matches; and one more rule, at the
// lowest priority, that the bench request does match (it names the bench's model, so the answer is the same).
export const ROUTING_MODELS = Array.from({ length: 50 }, (_, i) => ({ name: `bench-model-${i}`, provider: 'openai', model: 'gpt-4o-mini' }));

export const ROUTING_RULES = Array.from({ length: 100 }, (_, i) => ({
  id: `bench-rule-${i}`,
  name: `bench rule ${i}`,
  condition: i < 80 ? { agentType: [`agent-${i}`], requestType: ['chat'] } : { metadata: { tier: `tier-${i}` } },
  targetModels: [{ modelId: `bench-model-${i % 50}`, weight: 2, fallbackOrder: 1 }, { modelId: `bench-model-${(i + 7) % 50}`, weight: 1, fallbackOrder: 2 }],
  priority: 1000 - i,
}));

/** Matched by the bench request (model gpt-4o-mini), after every other rule was checked. */
export const MATCHING_RULE = { id: 'bench-match', name: 'bench match', condition: { model: ['gpt-4o-mini'] }, targetModels: [{ modelId: 'gpt-4o-mini' }], priority: 0 };
