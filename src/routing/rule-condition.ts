import type { RuleCondition } from '../config/routing-schemas.ts';
import type { RequestFacts } from '../domain/request-facts.ts';

/** A compiled condition: undefined when the request matches, else the first field that does not, in words. */
export type ConditionCheck = (facts: RequestFacts, modelNames: (name: string) => ReadonlySet<string>) => string | undefined;

type Values = ReadonlySet<string>;

/**
 * Compiles seed 002's condition once per configuration version into one check per listed field; the cheap
 * ones run first and the first mismatch ends the check, so a hundred rules cost a few hundred set lookups.
 */
export function compileCondition(condition: RuleCondition): ConditionCheck {
  const checks: ConditionCheck[] = [];
  const oneOf = (values: readonly string[] | undefined, field: string, get: (f: RequestFacts) => string | undefined): void => {
    if (values === undefined) return;
    const set: Values = new Set(values);
    checks.push((f) => {
      const value = get(f);
      return value !== undefined && set.has(value) ? undefined : `${field} ${value === undefined ? 'not given' : `"${value.slice(0, 100)}"`} is not one of ${values.join(', ')}`;
    });
  };
  oneOf(condition.agentType, 'agentType', (f) => f.agentType);
  oneOf(condition.requestType, 'requestType', (f) => f.requestType);
  oneOf(condition.workspaceId, 'workspaceId', (f) => f.workspaceId);
  oneOf(condition.keyId, 'keyId', (f) => f.keyId);
  oneOf(condition.userId, 'userId', (f) => f.userId);
  if (condition.model !== undefined) {
    const wanted = condition.model;
    checks.push((f, namesOf) => {
      if (f.model === undefined) return 'no model requested';
      const names = namesOf(f.model);
      return wanted.some((w) => w === f.model || names.has(w)) ? undefined : `model "${f.model.slice(0, 100)}" is not one of ${wanted.join(', ')}`;
    });
  }
  for (const [name, expected] of Object.entries(condition.metadata ?? {})) {
    const set: Values = new Set(typeof expected === 'string' ? [expected] : expected);
    checks.push((f) => (set.has(f.metadata[name] ?? '\u0000') ? undefined : `metadata ${name} is not ${[...set].join(' or ')}`));
  }
  for (const [name, expected] of Object.entries(condition.headers ?? {})) {
    const set: Values = new Set(typeof expected === 'string' ? [expected] : expected);
    checks.push((f) => (set.has(f.header(name) ?? '\u0000') ? undefined : `header ${name} is not ${[...set].join(' or ')}`));
  }
  const length = condition.contentLength;
  if (length !== undefined) {
    // Last: it is the one that may have to walk the messages.
    checks.push((f) => {
      const n = f.contentLength();
      if (length.min !== undefined && n < length.min) return `content length ${n} is below ${length.min}`;
      if (length.max !== undefined && n > length.max) return `content length ${n} is above ${length.max}`;
      return undefined;
    });
  }
  if (checks.length === 0) return () => undefined;
  return (facts, namesOf) => {
    for (const check of checks) {
      const miss = check(facts, namesOf);
      if (miss !== undefined) return miss;
    }
    return undefined;
  };
}
