import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { sampleFromSchema } from './sample-from-schema.ts';

/** Asserts the sample validates against the schema (zod's JSON Schema reader is the independent check). */
function assertValid(schema: Record<string, unknown>): unknown {
  const value = sampleFromSchema(schema);
  const result = z.fromJSONSchema(schema as never).safeParse(value);
  assert.ok(result.success, `sample ${JSON.stringify(value)} fails its schema: ${result.success ? '' : result.error.message}`);
  return value;
}

describe('sampleFromSchema', () => {
  it('fills every property of a nested object with type-appropriate values', () => {
    const value = assertValid({
      type: 'object',
      properties: {
        name: { type: 'string' },
        age: { type: 'integer', minimum: 18, maximum: 99 },
        score: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1 },
        active: { type: 'boolean' },
        tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
        address: {
          type: 'object',
          properties: { city: { type: 'string' }, zip: { type: 'string', minLength: 5, maxLength: 5 } },
          required: ['city', 'zip'],
          additionalProperties: false,
        },
      },
      required: ['name', 'age', 'score', 'active', 'tags', 'address'],
      additionalProperties: false,
    });
    assert.deepEqual(value, {
      name: 'mock name', age: 18, score: 0.5, active: true, tags: ['mock tag', 'mock tag'],
      address: { city: 'mock city', zip: 'mock ' },
    });
  });

  it('picks the first enum value, the const, and formats', () => {
    const value = assertValid({
      type: 'object',
      properties: {
        unit: { type: 'string', enum: ['celsius', 'fahrenheit'] },
        kind: { const: 'weather' },
        when: { type: 'string', format: 'date-time' },
        contact: { type: 'string', format: 'email' },
      },
      required: ['unit', 'kind', 'when', 'contact'],
    });
    assert.deepEqual(value, { unit: 'celsius', kind: 'weather', when: '2025-01-01T00:00:00Z', contact: 'mock@example.com' });
  });

  it('resolves $ref to $defs, and nullable type arrays', () => {
    const value = assertValid({
      type: 'object',
      properties: { step: { $ref: '#/$defs/step' }, note: { type: ['string', 'null'] } },
      required: ['step', 'note'],
      $defs: { step: { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] } },
    });
    assert.deepEqual(value, { step: { n: 1 }, note: 'mock note' });
  });

  it('resolves draft-07 #/definitions and escaped pointer segments', () => {
    // zod cannot read "definitions", so this one is checked by value.
    const value = sampleFromSchema({
      type: 'object',
      properties: { legacy: { $ref: '#/definitions/n' }, odd: { $ref: '#/definitions/a~1b' } },
      definitions: { n: { type: 'number', minimum: 5 }, 'a/b': { type: 'boolean' } },
    });
    assert.deepEqual(value, { legacy: 5, odd: true });
  });

  it('takes the first non-null anyOf branch and merges allOf', () => {
    assert.equal(sampleFromSchema({ anyOf: [{ type: 'null' }, { type: 'integer' }] }), 1);
    assert.deepEqual(
      assertValid({ allOf: [{ type: 'object', properties: { a: { type: 'string' } }, required: ['a'] }, { properties: { b: { type: 'boolean' } }, required: ['b'] }] }),
      { a: 'mock a', b: true },
    );
  });

  it('respects multipleOf and integer bounds', () => {
    assert.equal(sampleFromSchema({ type: 'integer', minimum: 7, multipleOf: 5 }), 10);
    assert.equal(sampleFromSchema({ type: 'integer', maximum: -3 }), -3);
    assert.equal(sampleFromSchema({ type: 'number', exclusiveMinimum: 2 }), 2.5);
  });

  it('terminates on recursive schemas', () => {
    const schema = { $ref: '#/$defs/node', $defs: { node: { type: 'object', properties: { children: { type: 'array', items: { $ref: '#/$defs/node' } } } } } };
    const value = sampleFromSchema(schema);
    assert.ok(JSON.stringify(value).length < 10_000);
  });

  it('gives an empty object for an empty or missing schema', () => {
    assert.deepEqual(sampleFromSchema({}), {});
    assert.deepEqual(sampleFromSchema(undefined), {});
    assert.deepEqual(sampleFromSchema({ type: 'object' }), {});
  });
});
