import { Counter, type Registry } from 'prom-client';
import { CappedSeries } from './capped-series.ts';

interface Pending {
  readonly labels: Readonly<Record<string, string>>;
  delta: number;
}

export interface DeferredCounterOptions {
  /** Distinct label sets kept; increments for a further new one go to the overflow series. */
  readonly maxSeries?: number;
}

/**
 * A Prometheus counter whose increments on the hot path are plain additions; they reach prom-client when the
 * registry is scraped. prom-client hashes the label set on every inc(), even through a cached child, and that
 * showed in the chat benchmark's CPU profile (bench/chat.ts, c=64).
 *
 * Both the pending map here and prom-client's own series map grow by one per distinct label set and never
 * shrink, so the number of series is capped: past maxSeries a new label set is counted in one overflow series
 * whose labels are all "other", and `overflowed` says how many increments went there.
 */
export class DeferredCounter<L extends string> {
  readonly name: string;
  readonly #pending: CappedSeries<Pending>;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[], options: DeferredCounterOptions = {}) {
    this.name = name;
    const pending = this.#pending = new CappedSeries<Pending>(labelNames, options.maxSeries, (labels) => ({ labels, delta: 0 }));
    new Counter<L>({
      name, help, labelNames: [...labelNames], registers: [registry],
      collect() {
        for (const entry of pending) {
          if (entry.delta > 0) this.inc(entry.labels as Partial<Record<L, string>>, entry.delta);
          entry.delta = 0;
        }
      },
    });
  }

  /** Increments (add() calls) that went to the overflow series because maxSeries was reached. */
  get overflowed(): number {
    return this.#pending.overflowed;
  }

  /** Adds `value` (default 1) to the series named by `values`, in labelNames order. */
  add(values: readonly string[], value = 1): void {
    this.#pending.get(values).delta += value;
  }
}
