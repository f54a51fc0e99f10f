import { Histogram, type Registry } from 'prom-client';
import { CappedSeries } from './capped-series.ts';

interface Series {
  readonly labels: Readonly<Record<string, string>>;
  /** Observations per bucket (not cumulative); the last slot is above every bound (+Inf). */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

/** One line as prom-client's registry reads it: the series' labels are "shared", `le` its own (written first). */
interface Line {
  readonly labels: Readonly<Record<string, string | number>>;
  readonly sharedLabels: Readonly<Record<string, string>>;
  readonly value: number;
  readonly metricName: string;
}

/**
 * A Prometheus histogram whose observations on the hot path are an array index and two additions; the bucket
 * lines are built when the registry is scraped. prom-client's own observe() hashes the label set on every call
 * (about 0.3 µs each, two per request), like its counters (see DeferredCounter).
 *
 * Exposed through a prom-client Histogram whose getForPromString() answers these series, so the registry writes
 * the same `_bucket{le}`, `_sum` and `_count` lines (and JSON) as for a histogram of its own. Series are capped like
 * DeferredCounter's: past maxSeries a new label set goes to one series whose labels are all "other".
 */
export class DeferredHistogram<L extends string> {
  readonly name: string;
  readonly #bounds: readonly number[];
  readonly #series: CappedSeries<Series>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[], buckets: readonly number[], options: { readonly maxSeries?: number } = {}) {
    if (buckets.length === 0 || buckets.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (buckets[i - 1] as number)))) {
      throw new TypeError(`histogram ${name}: buckets must be finite and increasing`);
    }
    this.name = name;
    this.#bounds = buckets;
    this.#series = new CappedSeries<Series>(labelNames, options.maxSeries, (labels) => ({ labels, counts: new Float64Array(buckets.length + 1), sum: 0, count: 0 }));
    const values = (): Line[] => this.#lines();
    // Only its name, help, type and registration are used: its own series stay empty. prom-client's registry reads
    // a histogram through getForPromString() (its get() adds the shared labels to that); the test compares both
    // outputs with a prom-client Histogram's, so a prom-client that reads it otherwise fails there, not in production.
    new (class extends Histogram<L | 'le'> {
      async getForPromString(): Promise<{ name: string; help: string; type: 'histogram'; values: Line[]; aggregator: 'sum' }> {
        return { name, help, type: 'histogram', values: values(), aggregator: 'sum' };
      }
    })({ name, help, labelNames: [...labelNames], buckets: [...buckets], registers: [registry] });
  }

  /** Observes `value` in the series named by `values`, in labelNames order. */
  observe(values: readonly string[], value: number): void {
    if (!Number.isFinite(value)) return;
    const series = this.#series.get(values);
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    series.counts[i] = (series.counts[i] ?? 0) + 1;
    series.sum += value;
    series.count++;
  }

  #lines(): Line[] {
    const out: Line[] = [];
    for (const s of this.#series) {
      let cumulative = 0;
      this.#bounds.forEach((bound, i) => {
        cumulative += s.counts[i] ?? 0;
        out.push({ labels: { le: bound }, sharedLabels: s.labels, value: cumulative, metricName: `${this.name}_bucket` });
      });
      out.push({ labels: { le: '+Inf' }, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_bucket` });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.sum, metricName: `${this.name}_sum` });
      out.push({ labels: {}, sharedLabels: s.labels, value: s.count, metricName: `${this.name}_count` });
    }
    return out;
  }
}
