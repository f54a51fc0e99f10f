import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DeferredCounter } from './deferred-counter.ts';

describe('DeferredCounter', () => {
  it('publishes accumulated increments per label set when scraped, and keeps counting after', async () => {
    const registry = new Registry();
    const counter = new DeferredCounter(registry, 'test_total', 'help', ['a', 'b']);
    counter.add(['x', 'y']);
    counter.add(['x', 'y'], 2);
    counter.add(['x', 'z'], 0.5);
    let text = await registry.metrics();
    assert.match(text, /test_total\{a="x",b="y"\} 3/);
    assert.match(text, /test_total\{a="x",b="z"\} 0.5/);
    counter.add(['x', 'y'], 4);
    text = await registry.metrics();
    assert.match(text, /test_total\{a="x",b="y"\} 7/, 'deltas are added once, not replayed');
    text = await registry.metrics();
    assert.match(text, /test_total\{a="x",b="y"\} 7/);
  });

  it('shows nothing for a series that was never incremented', async () => {
    const registry = new Registry();
    new DeferredCounter(registry, 'empty_total', 'help', ['a']);
    assert.doesNotMatch(await registry.metrics(), /empty_total\{/);
  });
});
