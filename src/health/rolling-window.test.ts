import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addToWindow, advanceWindow, newWindow, windowTotals } from './rolling-window.ts';

describe('rolling window', () => {
  it('drops buckets as they leave the window, reading and writing alike', () => {
    const w = newWindow(10_000, 0);
    addToWindow(w, 4, 1);
    advanceWindow(w, 10_000, 5_500);
    addToWindow(w, 2, 2);
    assert.deepEqual(windowTotals(w, 9_999), { requests: 6, failures: 3 });
    // At 10 s the first bucket (0–1 s) has left; the one of 5–6 s stays until 15 s.
    assert.deepEqual(windowTotals(w, 10_000), { requests: 2, failures: 2 });
    advanceWindow(w, 10_000, 10_000);
    assert.equal(w.totalRequests, 2);
    assert.deepEqual(windowTotals(w, 15_000), { requests: 0, failures: 0 });
    advanceWindow(w, 10_000, 100_000);
    assert.equal(w.totalRequests, 0);
    assert.equal(w.totalFailures, 0);
  });

  it('keeps counting in the newest bucket when the clock steps back', () => {
    const w = newWindow(10_000, 50_000);
    advanceWindow(w, 10_000, 40_000);
    addToWindow(w, 1, 0);
    assert.equal(w.totalRequests, 1);
    assert.deepEqual(windowTotals(w, 50_000), { requests: 1, failures: 0 });
  });
});
