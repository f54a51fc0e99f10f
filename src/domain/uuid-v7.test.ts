import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { uuidV7 } from './uuid-v7.ts';

const FORMAT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The Unix milliseconds in an id's first 48 bits. */
function msOf(id: string): number {
  return Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);
}

describe('uuidV7', () => {
  it('is an RFC 9562 version 7 id with the variant bits, carrying the time given', () => {
    // The generator never goes back in time, so each test uses times after the ones of the tests before it.
    const now = Date.now() + 1_000_000;
    const id = uuidV7(now);
    assert.match(id, FORMAT);
    assert.equal(msOf(id), now);
  });

  it('is strictly increasing within a millisecond and across them, and unique over 200,000 ids', () => {
    const ids: string[] = [];
    const start = Date.now() + 2_000_000;
    for (let i = 0; i < 200_000; i++) ids.push(uuidV7(start + Math.floor(i / 1000)));
    for (let i = 1; i < ids.length; i++) assert.ok((ids[i] as string) > (ids[i - 1] as string), `id ${i} sorts after the one before`);
    assert.equal(new Set(ids).size, ids.length);
    ids.forEach((id) => assert.match(id, FORMAT));
  });

  it('keeps order when the clock goes back, and borrows the next millisecond once 4096 ids were made in one', () => {
    const t = Date.now() + 3_000_000;
    const a = uuidV7(t);
    const back = uuidV7(t - 5_000);
    assert.ok(back > a, 'an earlier clock still gives a later id');
    assert.equal(msOf(back), t);
    let last = back;
    for (let i = 0; i < 5000; i++) {
      const next = uuidV7(t);
      assert.ok(next > last);
      last = next;
    }
    assert.ok(msOf(last) > t, 'past the counter\'s room the time moves on by a millisecond');
  });

  it('spreads its random part: ids of different milliseconds share no tail', () => {
    const tails = new Set(Array.from({ length: 1000 }, (_, i) => uuidV7(Date.now() + 4_000_000 + i).slice(19)));
    assert.equal(tails.size, 1000);
  });
});
