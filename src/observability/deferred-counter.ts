import { Counter, type Registry } from 'prom-client';

interface Pending {
  readonly labels: Record<string, string>;
  delta: number;
}

/** Label value of the overflow series, in every label. */
export const OVERFLOW_LABEL = 'other';

/**
 * Series one counter keeps by default. Far above what a configured gateway makes (GatewayMetrics folds caller
 * chosen values into "other"), so reaching it means a bug; it only stops such a bug from growing memory forever.
 */
export const DEFAULT_MAX_SERIES = 10_000;

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
  readonly #labelNames: readonly L[];
  readonly #pending = new Map<string, Pending>();
  readonly #maxSeries: number;
  #overflow: Pending | undefined;
  #overflowed = 0;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[], options: DeferredCounterOptions = {}) {
    this.name = name;
    this.#labelNames = labelNames;
    this.#maxSeries = options.maxSeries ?? DEFAULT_MAX_SERIES;
    const entries = (): Iterable<Pending> => this.#entries();
    new Counter<L>({
      name, help, labelNames: [...labelNames], registers: [registry],
      collect() {
        for (const entry of entries()) {
          if (entry.delta > 0) this.inc(entry.labels as Partial<Record<L, string>>, entry.delta);
          entry.delta = 0;
        }
      },
    });
  }

  /** Increments (add() calls) that went to the overflow series because maxSeries was reached. */
  get overflowed(): number {
    return this.#overflowed;
  }

  /** Adds `value` (default 1) to the series named by `values`, in labelNames order. */
  add(values: readonly string[], value = 1): void {
    const key = values.join('\u0000');
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      if (this.#pending.size >= this.#maxSeries) {
        this.#overflowed++;
        entry = this.#overflow ??= { labels: this.#labels(() => OVERFLOW_LABEL), delta: 0 };
      } else {
        this.#pending.set(key, entry = { labels: this.#labels((i) => values[i] ?? ''), delta: 0 });
      }
    }
    entry.delta += value;
  }

  #labels(value: (index: number) => string): Record<string, string> {
    const labels: Record<string, string> = {};
    this.#labelNames.forEach((name, i) => { labels[name] = value(i); });
    return labels;
  }

  *#entries(): Iterable<Pending> {
    yield* this.#pending.values();
    if (this.#overflow !== undefined) yield this.#overflow;
  }
}
