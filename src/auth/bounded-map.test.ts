import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setBounded } from './bounded-map.ts';

describe('setBounded', () => {
  it('never holds more than max entries, and keeps the newest insertions', () => {
    const map = new Map<number, string>();
    for (let i = 0; i < 10; i++) {
      setBounded(map, 3, i, `v${i}`);
      assert.ok(map.size <= 3);
    }
    assert.deepEqual([...map], [[7, 'v7'], [8, 'v8'], [9, 'v9']]);
  });

  it('replaces an existing key without evicting, and makes it the newest', () => {
    const map = new Map([['a', 1], ['b', 2], ['c', 3]]);
    setBounded(map, 3, 'a', 10);
    assert.deepEqual([...map], [['b', 2], ['c', 3], ['a', 10]]);
    setBounded(map, 3, 'd', 4);
    assert.deepEqual([...map.keys()], ['c', 'a', 'd'], 'the refreshed key outlives an older insertion');
  });

  it('works with a bound of one', () => {
    const map = new Map<string, number>();
    setBounded(map, 1, 'a', 1);
    setBounded(map, 1, 'b', 2);
    assert.deepEqual([...map], [['b', 2]]);
  });
});
