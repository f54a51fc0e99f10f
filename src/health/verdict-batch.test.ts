import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AttemptVerdict } from './health-registry.ts';
import { appendBatch, batchOf, batchSize, emptyBatch, resetBatch } from './verdict-batch.ts';

const VERDICTS: readonly AttemptVerdict[] = ['success', 'failure', 'connect_failure', 'rejected', 'neutral'];

/** A deterministic sequence of verdicts, failure-heavy so that runs form. */
function sequence(seed: number, length: number): AttemptVerdict[] {
  let state = seed >>> 0;
  const out: AttemptVerdict[] = [];
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    const r = state >>> 24;
    out.push(r < 128 ? 'failure' : VERDICTS[r % VERDICTS.length] as AttemptVerdict);
  }
  return out;
}

describe('verdict batch', () => {
  it('summarises runs: the one at the start, the longest and the one at the end', () => {
    const b = batchOf(['failure', 'rejected', 'success', 'failure', 'failure', 'connect_failure', 'neutral', 'success', 'failure']);
    assert.deepEqual(b, {
      success: 2, failure: 4, connectFailure: 1, rejected: 1, neutral: 1,
      breakerLead: 2, breakerLongest: 3, breakerTrail: 1, breakerBroken: true,
      ejectionLead: 1, ejectionLongest: 3, ejectionTrail: 1, ejectionBroken: true,
    });
    assert.equal(batchSize(b), 9);
    resetBatch(b);
    assert.deepEqual(b, emptyBatch());
  });

  it('appends one batch to another as if they had been one', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const all = sequence(seed, 1 + (seed % 17));
      const cut = seed % (all.length + 1);
      const first = batchOf(all.slice(0, cut));
      appendBatch(first, batchOf(all.slice(cut)));
      assert.deepEqual(first, batchOf(all), `seed ${seed}, cut at ${cut}`);
    }
  });
});
