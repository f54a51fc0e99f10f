import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { argumentsFromToolInput, toolInputFromArguments } from './tool-arguments.ts';

describe('toolInputFromArguments', () => {
  it('parses a JSON object', () => {
    assert.deepEqual(toolInputFromArguments('{"city": "Paris", "days": [1, 2]}'), { city: 'Paris', days: [1, 2] });
  });

  it('reads empty or missing arguments as no arguments', () => {
    for (const args of ['', '  ', undefined, null]) assert.deepEqual(toolInputFromArguments(args), {});
  });

  it('wraps invalid JSON as rawInvalidInput instead of failing (Vercel)', () => {
    assert.deepEqual(toolInputFromArguments('{"city": "Par'), { rawInvalidInput: '{"city": "Par' });
  });

  it('wraps valid JSON that is not an object', () => {
    assert.deepEqual(toolInputFromArguments('[1,2]'), { rawInvalidInput: [1, 2] });
    assert.deepEqual(toolInputFromArguments('"text"'), { rawInvalidInput: 'text' });
    assert.deepEqual(toolInputFromArguments('null'), { rawInvalidInput: null });
  });

  it('accepts an object some clients send instead of a string, and wraps other types', () => {
    assert.deepEqual(toolInputFromArguments({ a: 1 }), { a: 1 });
    assert.deepEqual(toolInputFromArguments(7), { rawInvalidInput: 7 });
  });
});

describe('argumentsFromToolInput', () => {
  it('serializes the input and never answers ""', () => {
    assert.equal(argumentsFromToolInput({ city: 'Paris' }), '{"city":"Paris"}');
    assert.equal(argumentsFromToolInput(undefined), '{}');
    assert.equal(argumentsFromToolInput({}), '{}');
  });
});
