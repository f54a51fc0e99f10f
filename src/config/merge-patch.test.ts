import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mergeLayers, mergePatch, patchTo } from './merge-patch.ts';

describe('mergePatch (RFC 7386)', () => {
  it('merges objects key by key, replaces lists and scalars, and removes keys set to null', () => {
    const target = { a: { b: 1, c: [1, 2] }, d: 'x', e: true };
    assert.deepEqual(mergePatch(target, { a: { c: [3] }, d: null, f: 2 }), { a: { b: 1, c: [3] }, e: true, f: 2 });
    assert.deepEqual(target, { a: { b: 1, c: [1, 2] }, d: 'x', e: true }, 'the target is left unchanged');
  });

  it('follows the RFC\'s examples', () => {
    assert.deepEqual(mergePatch({ a: 'b' }, { a: 'c' }), { a: 'c' });
    assert.deepEqual(mergePatch({ a: 'b' }, { b: 'c' }), { a: 'b', b: 'c' });
    assert.deepEqual(mergePatch({ a: 'b' }, { a: null }), {});
    assert.deepEqual(mergePatch({ a: [{ b: 'c' }] }, { a: [1] }), { a: [1] });
    assert.deepEqual(mergePatch(['a', 'b'], ['c', 'd']), ['c', 'd']);
    assert.deepEqual(mergePatch({ a: 'foo' }, 'bar'), 'bar');
    assert.deepEqual(mergePatch({ e: null }, { a: 1 }), { e: null, a: 1 });
    assert.deepEqual(mergePatch({}, { a: { bb: { ccc: null } } }), { a: { bb: {} } });
  });

  it('merges layers in order, later ones winning', () => {
    assert.deepEqual(mergeLayers([{ a: 1, b: { c: 1 } }, { b: { d: 2 } }, { a: 3 }]), { a: 3, b: { c: 1, d: 2 } });
  });
});

describe('patchTo', () => {
  it('gives the patch that turns one tree into exactly another', () => {
    const lower = { routing: { prefixes: { 'gpt-': 'openai', 'claude-': 'anthropic' }, defaultMaxTokens: 10 }, pricing: { x: 1 } };
    const wanted = { routing: { prefixes: { 'gpt-': 'azure' } }, other: [1] };
    assert.deepEqual(mergePatch(lower, patchTo(lower, wanted)), wanted);
  });
});
