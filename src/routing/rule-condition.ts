import type { RuleCondition } from '../config/routing-schemas.ts';
import type { RequestFacts } from '../domain/request-facts.ts';

/**
 * A compiled condition: undefined when the request matches, else the first field that does not, in words when
 * `explain` is set (MISS otherwise: a hundred rules must not build a hundred sentences per request).
 */
export type ConditionCheck = (facts: RequestFacts, modelNames: (name: string) => ReadonlySet<string>, explain?: boolean) => string | undefined;

export const MISS = 'no match';

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
    checks.push((f, _names, explain) => {
      const value = get(f);
      if (value !== undefined && set.has(value)) return undefined;
      return explain === true ? `${field} ${value === undefined ? 'not given' : `"${value.slice(0, 100)}"`} is not one of ${values.join(', ')}` : MISS;
    });
  };
  oneOf(condition.agentType, 'agentType', (f) => f.agentType);
  oneOf(condition.requestType, 'requestType', (f) => f.requestType);
  oneOf(condition.workspaceId, 'workspaceId', (f) => f.workspaceId);
  oneOf(condition.keyId, 'keyId', (f) => f.keyId);
  oneOf(condition.userId, 'userId', (f) => f.userId);
  if (condition.model !== undefined) {
    const wanted = condition.model;
    checks.push((f, namesOf, explain) => {
      if (f.model === undefined) return explain === true ? 'no model requested' : MISS;
      const names = namesOf(f.model);
      if (wanted.some((w) => w === f.model || names.has(w))) return undefined;
      return explain === true ? `model "${f.model.slice(0, 100)}" is not one of ${wanted.join(', ')}` : MISS;
    });
  }
  for (const [name, expected] of Object.entries(condition.metadata ?? {})) {
    const set: Values = new Set(typeof expected === 'string' ? [expected] : expected);
    checks.push((f, _names, explain) => (set.has(f.metadata[name] ?? '\u0000') ? undefined : explain === true ? `metadata ${name} is not ${[...set].join(' or ')}` : MISS));
  }
  for (const [name, expected] of Object.entries(condition.headers ?? {})) {
    const set: Values = new Set(typeof expected === 'string' ? [expected] : expected);
    checks.push((f, _names, explain) => (set.has(f.header(name) ?? '\u0000') ? undefined : explain === true ? `header ${name} is not ${[...set].join(' or ')}` : MISS));
  }
  const length = condition.contentLength;
  if (length !== undefined) {
    // Last: it is the one that may have to walk the messages.
    checks.push((f, _names, explain) => {
      const n = f.contentLength();
      if (length.min !== undefined && n < length.min) return explain === true ? `content length ${n} is below ${length.min}` : MISS;
      if (length.max !== undefined && n > length.max) return explain === true ? `content length ${n} is above ${length.max}` : MISS;
      return undefined;
    });
  }
  if (checks.length === 0) return () => undefined;
  if (checks.length === 1) return checks[0] as ConditionCheck;
  return (facts, namesOf, explain) => {
    for (const check of checks) {
      const miss = check(facts, namesOf, explain);
      if (miss !== undefined) return miss;
    }
    return undefined;
  };
}
