import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chooseP2C } from './choose-p2c.ts';

/** random() answering these values in turn. */
const scripted = (...values: number[]): (() => number) => () => values.shift() ?? 0;

describe('chooseP2C', () => {
  it('returns undefined for none and the only one for one, without drawing', () => {
    const never = (): number => assert.fail('no draw needed');
    assert.equal(chooseP2C([], () => 0, never), undefined);
    assert.equal(chooseP2C(['a'], () => 0, never), 'a');
  });

  it('draws two distinct candidates and keeps the lower score', () => {
    const score = (c: string): number => ({ a: 3, b: 1, c: 2 })[c] ?? 0;
    // First draw: index 0 (a); second among the two others: 0 → b.
    assert.equal(chooseP2C(['a', 'b', 'c'], score, scripted(0, 0)), 'b');
    // First c (index 2); second among a, b: 0.99 → b.
    assert.equal(chooseP2C(['a', 'b', 'c'], score, scripted(0.99, 0.99)), 'b');
    // a and c: c wins.
    assert.equal(chooseP2C(['a', 'b', 'c'], score, scripted(0, 0.6)), 'c');
    // A tie goes to the first drawn; random() of 1 stays in range.
    assert.equal(chooseP2C(['x', 'y'], () => 5, scripted(1, 0)), 'y');
  });

  it('never picks the worst of three, and spreads over the others', () => {
    const counts = new Map<string, number>();
    const score = (c: string): number => ({ fast: 1, mid: 2, slow: 3 })[c] ?? 0;
    for (let i = 0; i < 3000; i++) {
      const pick = chooseP2C(['fast', 'mid', 'slow'], score) as string;
      counts.set(pick, (counts.get(pick) ?? 0) + 1);
    }
    assert.equal(counts.get('slow'), undefined);
    // fast is in 2 of the 3 pairs, mid wins the third: about 2/3 and 1/3.
    assert.ok((counts.get('fast') ?? 0) > 1700 && (counts.get('mid') ?? 0) > 700, JSON.stringify([...counts]));
  });
});
