// Response-time histogram with 1 µs buckets. autocannon's own histogram stores whole milliseconds,
// which is too coarse for a 0.3 ms added-latency target, so the load children record every sample here.
const BUCKETS = 1_000_000; // 0 … 1 s at 1 µs: 4 MB, and recording stays one array increment

export class LatencyHistogram {
  readonly #counts = new Uint32Array(BUCKETS);
  readonly #overflowMs: number[] = []; // rare samples above 1 s, kept exactly
  #count = 0;

  record(ms: number): void {
    const us = Math.max(0, Math.round(ms * 1000));
    if (us < BUCKETS) this.#counts[us] = (this.#counts[us] ?? 0) + 1;
    else this.#overflowMs.push(ms);
    this.#count++;
  }

  get count(): number {
    return this.#count;
  }

  /** Nearest-rank percentile in ms, or null without samples. */
  percentile(p: number): number | null {
    if (this.#count === 0) return null;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    let seen = 0;
    for (let us = 0; us < BUCKETS; us++) {
      seen += this.#counts[us] ?? 0;
      if (seen >= rank) return us / 1000;
    }
    const sorted = [...this.#overflowMs].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, rank - seen - 1)] ?? null;
  }
}
