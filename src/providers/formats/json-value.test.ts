import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asNumber, asRecord, asString, isRecord, parseJson } from './json-value.ts';

describe('json-value', () => {
  it('isRecord accepts plain objects only', () => {
    assert.equal(isRecord({}), true);
    for (const value of [null, [], 'x', 1, undefined]) assert.equal(isRecord(value), false);
  });

  it('asString, asNumber and asRecord narrow or fall back', () => {
    assert.equal(asString('a'), 'a');
    assert.equal(asString(1), undefined);
    assert.equal(asNumber(2), 2);
    assert.equal(asNumber(Number.NaN), undefined);
    assert.equal(asNumber('2'), undefined);
    assert.deepEqual(asRecord([1]), {});
  });

  it('parseJson answers undefined instead of throwing', () => {
    assert.deepEqual(parseJson('{"a":1}'), { a: 1 });
    assert.equal(parseJson('{"a":'), undefined);
  });
});
