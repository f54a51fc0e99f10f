import type { Target } from '../../src/domain/plan.ts';

/** A routing target as the catalogue builds it, with the fields a test does not care about filled in. */
export function testTarget(fields: Partial<Target> & Pick<Target, 'provider' | 'model'>): Target {
  return {
    format: 'openai', pricing: undefined, dropParams: new Set<string>(), reasoning: undefined, wireModel: fields.model,
    label: `${fields.provider}/${fields.model}`, modelKey: fields.model, contextWindow: undefined, retries: 0,
    endpoint: { id: `provider:${fields.provider}`, pool: 'providers' }, ...fields,
  };
}
