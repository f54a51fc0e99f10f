import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DEFAULT_MAX_SERIES } from './capped-series.ts';
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

  it('caps its series: past maxSeries new label sets count in one all-"other" series, and say how often', async () => {
    const registry = new Registry();
    const counter = new DeferredCounter(registry, 'capped_total', 'help', ['a', 'b'], { maxSeries: 3 });
    for (let i = 0; i < 10_000; i++) counter.add([`x${i}`, 'y']);
    counter.add(['x0', 'y'], 5);
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('capped_total{'));
    assert.equal(lines.length, 4, lines.join('\n'));
    assert.ok(lines.includes('capped_total{a="x0",b="y"} 6'), 'a series kept goes on counting');
    assert.ok(lines.includes('capped_total{a="other",b="other"} 9997'));
    assert.equal(counter.overflowed, 9997);
  });

  it('keeps 10 000 series by default, not more', async () => {
    const registry = new Registry();
    const counter = new DeferredCounter(registry, 'default_total', 'help', ['a']);
    for (let i = 0; i < DEFAULT_MAX_SERIES + 500; i++) counter.add([`x${i}`]);
    const lines = (await registry.metrics()).split('\n').filter((l) => l.startsWith('default_total{'));
    assert.equal(lines.length, DEFAULT_MAX_SERIES + 1);
    assert.equal(counter.overflowed, 500);
  });

  it('shows nothing for a series that was never incremented', async () => {
    const registry = new Registry();
    new DeferredCounter(registry, 'empty_total', 'help', ['a']);
    assert.doesNotMatch(await registry.metrics(), /empty_total\{/);
  });
});
