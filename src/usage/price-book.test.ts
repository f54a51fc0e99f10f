import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Pricing } from '../config/schema.ts';
import type { TokenUsage } from '../providers/formats/usage.ts';
import { BUILT_IN_PRICES } from './price-table.ts';
import { PriceBook } from './price-book.ts';

const MILLION = 1_000_000;

function usage(overrides: Partial<TokenUsage> = {}): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0, ...overrides };
}

/** Cost compared to the cent-fraction, since it is a sum of float products. */
function assertUsd(actual: number, expected: number): void {
  assert.ok(Math.abs(actual - expected) < 1e-12, `expected ${expected}, got ${actual}`);
}

describe('PriceBook.find', () => {
  const book = new PriceBook(BUILT_IN_PRICES);

  it('finds a model by its exact id', () => {
    assert.deepEqual(book.find('gpt-4o'), BUILT_IN_PRICES['gpt-4o']);
    assert.deepEqual(book.find('gpt-4o-mini'), BUILT_IN_PRICES['gpt-4o-mini']);
    assert.deepEqual(book.find('claude-sonnet-4'), BUILT_IN_PRICES['claude-sonnet-4']);
  });

  it('prices a dated id by its longest listed prefix', () => {
    assert.deepEqual(book.find('gpt-4o-mini-2024-07-18'), BUILT_IN_PRICES['gpt-4o-mini'], 'not gpt-4o');
    assert.deepEqual(book.find('gpt-4o-2024-08-06'), BUILT_IN_PRICES['gpt-4o']);
    assert.deepEqual(book.find('gpt-4.1-nano-2025-04-14'), BUILT_IN_PRICES['gpt-4.1-nano'], 'not gpt-4.1');
    assert.deepEqual(book.find('claude-sonnet-4-5-20250929'), BUILT_IN_PRICES['claude-sonnet-4']);
    assert.deepEqual(book.find('claude-3-5-haiku-20241022'), BUILT_IN_PRICES['claude-3-5-haiku']);
  });

  it('has no price for a model no entry is a prefix of', () => {
    assert.equal(book.find('llama-3.3-70b-versatile'), undefined);
    assert.equal(book.find('gpt-4'), undefined, 'a shorter id does not match a longer entry');
    assert.equal(book.find(''), undefined);
  });

  it('answers the same on a repeated look-up (memoised)', () => {
    assert.equal(book.find('gpt-4o-2024-11-20'), book.find('gpt-4o-2024-11-20'));
    assert.equal(book.find('unknown-model'), undefined);
    assert.equal(book.find('unknown-model'), undefined);
  });
});

describe('PriceBook tables', () => {
  it('lets a later table override an earlier one (config over built-ins)', () => {
    const custom: Pricing = { inputPerMTok: 1, outputPerMTok: 2 };
    const book = new PriceBook(BUILT_IN_PRICES, { 'gpt-4o': custom });
    assert.deepEqual(book.find('gpt-4o'), custom);
    assert.deepEqual(book.find('gpt-4o-2024-08-06'), custom, 'the override also covers dated ids');
    assert.deepEqual(book.find('gpt-4o-mini'), BUILT_IN_PRICES['gpt-4o-mini'], 'other built-ins stay');
  });

  it('lets config add models the built-ins lack, and a longer config prefix beat a built-in one', () => {
    const book = new PriceBook(BUILT_IN_PRICES, {
      'llama-3.3-70b-versatile': { inputPerMTok: 0.59, outputPerMTok: 0.79 },
      'claude-sonnet-4-5': { inputPerMTok: 3.3, outputPerMTok: 16.5 },
    });
    assert.deepEqual(book.find('llama-3.3-70b-versatile'), { inputPerMTok: 0.59, outputPerMTok: 0.79 });
    assert.deepEqual(book.find('claude-sonnet-4-5-20250929'), { inputPerMTok: 3.3, outputPerMTok: 16.5 });
    assert.deepEqual(book.find('claude-sonnet-4-20250514'), BUILT_IN_PRICES['claude-sonnet-4']);
  });

  it('works with no table at all', () => {
    const book = new PriceBook();
    assert.equal(book.find('gpt-4o'), undefined);
    assert.equal(book.cost('gpt-4o', usage({ inputTokens: 1000 })), 0);
  });
});

describe('PriceBook.cost', () => {
  const book = new PriceBook(BUILT_IN_PRICES, {
    full: { inputPerMTok: 2, outputPerMTok: 10, cachedInputPerMTok: 0.5, cacheWritePerMTok: 2.5 },
    plain: { inputPerMTok: 4, outputPerMTok: 8 },
  });

  it('prices each token type at its own rate, per million tokens', () => {
    const cost = book.cost('full', usage({ inputTokens: 1000, outputTokens: 500, cachedInputTokens: 2000, cacheWriteTokens: 4000 }));
    assertUsd(cost, (1000 * 2 + 500 * 10 + 2000 * 0.5 + 4000 * 2.5) / MILLION);
  });

  it('charges cached and cache-write tokens at the input price when the model sets no rate for them', () => {
    const cost = book.cost('plain', usage({ cachedInputTokens: 1_000_000, cacheWriteTokens: 1_000_000 }));
    assertUsd(cost, 8);
  });

  it('uses the built-in rates for a real model', () => {
    // claude-sonnet-4: 3 in, 15 out, 0.3 cache read, 3.75 cache write.
    const cost = book.cost('claude-sonnet-4-5-20250929', usage({ inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 1_000_000, cacheWriteTokens: 1_000_000 }));
    assertUsd(cost, 3 + 15 + 0.3 + 3.75);
    // gpt-4o sets a cached rate but no cache-write rate: cache writes fall back to input.
    assertUsd(book.cost('gpt-4o', usage({ cachedInputTokens: 1_000_000, cacheWriteTokens: 1_000_000 })), 1.25 + 2.5);
  });

  it('costs nothing for a model without a price, whatever the usage', () => {
    assert.equal(book.cost('my-private-model', usage({ inputTokens: 1e9, outputTokens: 1e9 })), 0);
  });

  it('costs nothing for no tokens', () => {
    assert.equal(book.cost('gpt-4o', usage()), 0);
  });

  it('costs the mock models nothing', () => {
    assert.equal(book.cost('mock', usage({ inputTokens: 1e6, outputTokens: 1e6 })), 0);
    assert.equal(book.cost('mock-large', usage({ inputTokens: 1e6, outputTokens: 1e6 })), 0);
  });
});

describe('PriceBook.costWith', () => {
  it('uses the given prices instead of the table (catalogue entries with their own pricing)', () => {
    const book = new PriceBook(BUILT_IN_PRICES);
    const cost = book.costWith({ inputPerMTok: 1, outputPerMTok: 1 }, usage({ inputTokens: 500_000, outputTokens: 500_000 }));
    assertUsd(cost, 1);
  });
});

describe('BUILT_IN_PRICES', () => {
  it('holds only valid, non-negative prices', () => {
    for (const [model, p] of Object.entries(BUILT_IN_PRICES)) {
      for (const value of [p.inputPerMTok, p.outputPerMTok, p.cachedInputPerMTok ?? 0, p.cacheWritePerMTok ?? 0]) {
        assert.ok(Number.isFinite(value) && value >= 0, `${model}: ${value}`);
      }
    }
  });
});
