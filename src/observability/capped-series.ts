/** Label value of the overflow series, in every label. */
export const OVERFLOW_LABEL = 'other';

/**
 * Series one metric keeps by default. Far above what a configured gateway makes (GatewayMetrics folds caller
 * chosen values into "other"), so reaching it means a bug; it only stops such a bug from growing memory forever.
 */
export const DEFAULT_MAX_SERIES = 10_000;

/**
 * The series of one deferred metric (DeferredCounter, DeferredHistogram) by label set, found on the hot path by
 * the label values joined into one key. Capped: past maxSeries a new label set goes to one overflow series whose
 * labels are all "other", and `overflowed` counts how often.
 */
export class CappedSeries<T> {
  readonly #labelNames: readonly string[];
  readonly #maxSeries: number;
  readonly #make: (labels: Readonly<Record<string, string>>) => T;
  readonly #series = new Map<string, T>();
  #overflow: T | undefined;
  #overflowed = 0;

  constructor(labelNames: readonly string[], maxSeries: number | undefined, make: (labels: Readonly<Record<string, string>>) => T) {
    this.#labelNames = labelNames;
    this.#maxSeries = maxSeries ?? DEFAULT_MAX_SERIES;
    this.#make = make;
  }

  /** Lookups of a new label set that went to the overflow series because maxSeries was reached. */
  get overflowed(): number {
    return this.#overflowed;
  }

  /** The series named by `values`, in labelNames order; made on first use. */
  get(values: readonly string[]): T {
    const key = values.join('\u0000');
    const known = this.#series.get(key);
    if (known !== undefined) return known;
    if (this.#series.size >= this.#maxSeries) {
      this.#overflowed++;
      return this.#overflow ??= this.#make(this.#labels(() => OVERFLOW_LABEL));
    }
    const made = this.#make(this.#labels((i) => values[i] ?? ''));
    this.#series.set(key, made);
    return made;
  }

  /** Every series, the overflow one last. */
  *[Symbol.iterator](): Iterator<T> {
    yield* this.#series.values();
    if (this.#overflow !== undefined) yield this.#overflow;
  }

  #labels(value: (index: number) => string): Record<string, string> {
    const labels: Record<string, string> = {};
    this.#labelNames.forEach((name, i) => { labels[name] = value(i); });
    return labels;
  }
}
