import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { makeAuditEvent } from '../../test/support/audit-event-factory.ts';
import type { UsageRecord } from '../domain/usage-record.ts';
import { PriceBook } from './price-book.ts';
import { encodeRecord } from './record-encoding.ts';
import { UsageLedger } from './usage-ledger.ts';

interface Schema {
  readonly type?: string | readonly string[];
  readonly const?: unknown;
  readonly enum?: readonly unknown[];
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, Schema>>;
  readonly additionalProperties?: boolean;
  readonly items?: Schema;
  readonly minimum?: number;
  readonly pattern?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, Schema>>;
}

const SCHEMA = JSON.parse(readFileSync(new URL('../../docs/schema/record.v1.json', import.meta.url), 'utf8')) as Schema;
const DOC = readFileSync(new URL('../../docs/record-schema.md', import.meta.url), 'utf8');

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

/** The part of JSON Schema the published schema uses; returns the paths that do not match. */
function check(value: unknown, schema: Schema, path: string): string[] {
  if (schema.$ref !== undefined) return check(value, SCHEMA.$defs?.[schema.$ref.replace('#/$defs/', '')] ?? {}, path);
  const problems: string[] = [];
  if (schema.const !== undefined && value !== schema.const) problems.push(`${path}: not ${String(schema.const)}`);
  if (schema.enum !== undefined && !schema.enum.includes(value)) problems.push(`${path}: ${String(value)} not in the enum`);
  if (schema.type !== undefined) {
    const types = typeof schema.type === 'string' ? [schema.type] : schema.type;
    const actual = typeOf(value);
    if (!types.includes(actual) && !(actual === 'integer' && types.includes('number'))) problems.push(`${path}: ${actual}, not ${types.join('|')}`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < schema.minimum) problems.push(`${path}: below ${schema.minimum}`);
  if (typeof value === 'string' && schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) problems.push(`${path}: does not match ${schema.pattern}`);
  if (Array.isArray(value) && schema.items !== undefined) value.forEach((v, i) => problems.push(...check(v, schema.items as Schema, `${path}[${i}]`)));
  if (typeOf(value) === 'object' && schema.properties !== undefined) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) if (!(name in object)) problems.push(`${path}.${name}: missing`);
    for (const [name, v] of Object.entries(object)) {
      const property = schema.properties[name];
      if (property === undefined) {
        if (schema.additionalProperties === false) problems.push(`${path}.${name}: not in the schema`);
        continue;
      }
      problems.push(...check(v, property, `${path}.${name}`));
    }
  }
  return problems;
}

/** A record as the ledger makes it on the response path: a failed fallback with reasoning tokens. */
function ledgerRecord(): UsageRecord {
  let made: UsageRecord | undefined;
  new UsageLedger(new PriceBook({}), [(r) => { made = r; }]).record({
    kind: 'request', attempt: 0, requestId: 'req-1', keyId: 'k1', endpoint: 'chat', stream: true, modelRequested: 'fast', provider: 'openai',
    modelServed: 'o3', pricing: undefined, startedMs: Date.now(), latencyMs: 12.5, status: 200, outcome: 'ok', errorCode: null,
    usage: { inputTokens: 10, outputTokens: 300, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 256 }, ttftMs: null,
    route: { workspaceId: 'ws-1', agentType: null, userId: null, ruleId: 'r1', experimentId: null, variant: null },
    retries: 1, fallbackChain: ['anthropic/claude', 'openai/o3'],
  });
  assert.ok(made);
  return made;
}

describe('record schema v1 (docs/schema/record.v1.json)', () => {
  it('describes the usage records the ledger makes and the audit events, field by field, as encoded', () => {
    const usage = JSON.parse(encodeRecord('usage', ledgerRecord())) as unknown;
    const audit = JSON.parse(encodeRecord('audit', makeAuditEvent({ before: { a: 1 } }))) as unknown;
    const defs = SCHEMA.$defs ?? {};
    assert.deepEqual(check(usage, defs.usage as Schema, 'usage'), []);
    assert.deepEqual(check(audit, defs.audit as Schema, 'audit'), []);
    assert.notDeepEqual(check(audit, defs.usage as Schema, 'usage'), [], 'an audit event is not a usage record');
  });

  it('requires every field a record has, and the docs list each of them', () => {
    const usage = ledgerRecord();
    const fields = Object.keys(usage).sort();
    assert.deepEqual([...(SCHEMA.$defs?.usage?.required ?? [])].filter((f) => f !== 'schema' && f !== 'type').sort(), fields);
    for (const field of fields) assert.ok(DOC.includes(`\`${field}\``), `docs/record-schema.md lists ${field}`);
    const audit = Object.keys(makeAuditEvent()).sort();
    assert.deepEqual([...(SCHEMA.$defs?.audit?.required ?? [])].filter((f) => f !== 'schema' && f !== 'type').sort(), audit);
  });
});
