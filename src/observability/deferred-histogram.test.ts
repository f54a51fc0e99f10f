import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Histogram, Registry } from 'prom-client';
import { DeferredHistogram } from './deferred-histogram.ts';

const BUCKETS = [0.005, 0.01, 0.1, 1, 10];
/** Values on, below, between and above the bounds. */
const VALUES = [0, 0.005, 0.0051, 0.01, 0.05, 0.5, 1, 2, 10, 11, 1e9];

describe('DeferredHistogram', () => {
  it('writes the same text and JSON as a prom-client Histogram fed the same observations', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    const deferred = new DeferredHistogram(ours, 'latency_seconds', 'help text', ['endpoint', 'provider'], BUCKETS);
    const reference = new Histogram({ name: 'latency_seconds', help: 'help text', labelNames: ['endpoint', 'provider'], buckets: BUCKETS, registers: [theirs] });
    VALUES.forEach((value, i) => {
      const provider = i % 3 === 0 ? 'openai' : 'anthropic';
      deferred.observe(['chat', provider], value);
      reference.observe({ endpoint: 'chat', provider }, value);
    });
    assert.equal(await ours.metrics(), await theirs.metrics());
    // prom-client's own lines carry an empty exemplar slot; the JSON is otherwise the same.
    const withoutExemplars = (metrics: Awaited<ReturnType<Registry['getMetricsAsJSON']>>) =>
      metrics.map((m) => ({ ...m, values: m.values.map((v) => ({ labels: v.labels, value: v.value, metricName: (v as { metricName?: string }).metricName })) }));
    assert.deepEqual(withoutExemplars(await ours.getMetricsAsJSON()), withoutExemplars(await theirs.getMetricsAsJSON()));
  });

  it('keeps its counts across scrapes and goes on counting', async () => {
    const registry = new Registry();
    const deferred = new DeferredHistogram(registry, 'h_seconds', 'help', ['model'], BUCKETS);
    deferred.observe(['m'], 0.2);
    await registry.metrics();
    deferred.observe(['m'], 0.3);
    const text = await registry.metrics();
    assert.match(text, /h_seconds_count\{model="m"\} 2/);
    assert.match(text, /h_seconds_sum\{model="m"\} 0.5/);
    assert.match(text, /h_seconds_bucket\{le="1",model="m"\} 2|h_seconds_bucket\{model="m",le="1"\} 2/);
  });

  it('ignores a value that is not a finite number, and caps its series in one all-"other" series', async () => {
    const registry = new Registry();
    const deferred = new DeferredHistogram(registry, 'c_seconds', 'help', ['model'], BUCKETS, { maxSeries: 2 });
    deferred.observe(['a'], Number.NaN);
    for (let i = 0; i < 100; i++) deferred.observe([`m${i}`], 0.001);
    const counts = (await registry.metrics()).split('\n').filter((l) => l.startsWith('c_seconds_count'));
    assert.deepEqual(counts, ['c_seconds_count{model="m0"} 1', 'c_seconds_count{model="m1"} 1', 'c_seconds_count{model="other"} 98']);
  });

  it('refuses buckets that are empty, not finite or not increasing', () => {
    for (const buckets of [[], [1, Number.POSITIVE_INFINITY], [1, 1], [2, 1]]) {
      assert.throws(() => new DeferredHistogram(new Registry(), 'b_seconds', 'help', ['x'], buckets), /increasing/);
    }
  });
});
