import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffConfig } from './config-diff.ts';

describe('diffConfig', () => {
  it('lists changed leaves with dotted paths, list positions included', () => {
    const before = { providers: [{ name: 'a', timeoutMs: 1 }], routing: { x: 1 } };
    const after = { providers: [{ name: 'a', timeoutMs: 2 }], routing: { y: 2 } };
    assert.deepEqual(diffConfig(before, after), [
      { path: 'providers.0.timeoutMs', before: 1, after: 2 },
      { path: 'routing.x', before: 1 },
      { path: 'routing.y', after: 2 },
    ]);
  });

  it('reports a list whose length changed as one change', () => {
    assert.deepEqual(diffConfig({ m: [1] }, { m: [1, 2] }), [{ path: 'm', before: [1], after: [1, 2] }]);
  });

  it('ignores key order', () => {
    assert.deepEqual(diffConfig({ a: 1, b: { c: 2, d: 3 } }, { b: { d: 3, c: 2 }, a: 1 }), []);
  });
});
