import type { ResilienceConfig } from '../config/resilience-schemas.ts';

type BudgetSettings = ResilienceConfig['retryBudget'];

const BUCKETS = 10;

/** Requests and retries one target was sent over the window, in BUCKETS time slices (a ring). */
class TargetWindow {
  readonly requests = new Uint32Array(BUCKETS);
  readonly retries = new Uint32Array(BUCKETS);
  /** Slice index (time / slice length) each bucket last counted for. */
  readonly slices = new Float64Array(BUCKETS).fill(-1);

  bucket(slice: number): number {
    const i = slice % BUCKETS;
    if (this.slices[i] !== slice) {
      this.slices[i] = slice;
      this.requests[i] = 0;
      this.retries[i] = 0;
    }
    return i;
  }

  totals(slice: number): { requests: number; retries: number } {
    let requests = 0;
    let retries = 0;
    for (let i = 0; i < BUCKETS; i++) {
      const age = slice - (this.slices[i] as number);
      if (age < 0 || age >= BUCKETS) continue;
      requests += this.requests[i] as number;
      retries += this.retries[i] as number;
    }
    return { requests, retries };
  }
}

/**
 * Envoy's retry budget, per target: retries stay under `percent` of the requests the target was sent over a
 * sliding window (plus `minRetries` per window, so a quiet target can still be retried). A failing upstream
 * thus sees at most that much extra load, never a retry storm. Counted per replica: every replica holds its own
 * extra load to the share, so the sum does too, without a shared store on the hot path. Fallbacks to another
 * target are first attempts there, not retries.
 */
export class RetryBudget {
  readonly #windows = new Map<string, TargetWindow>();
  readonly #now: () => number;
  #settings: BudgetSettings;
  #sliceMs: number;

  constructor(settings: BudgetSettings, now: () => number = Date.now) {
    this.#settings = settings;
    this.#sliceMs = settings.windowMs / BUCKETS;
    this.#now = now;
  }

  configure(settings: BudgetSettings): void {
    if (settings.windowMs !== this.#settings.windowMs) this.#windows.clear();
    this.#settings = settings;
    this.#sliceMs = settings.windowMs / BUCKETS;
  }

  /** A first attempt was sent to the target. */
  request(target: string): void {
    const w = this.#window(target);
    const i = w.bucket(this.#slice());
    w.requests[i] = (w.requests[i] as number) + 1;
  }

  /** Whether one more retry to the target fits the budget; true counts it. */
  tryRetry(target: string): boolean {
    const w = this.#window(target);
    const slice = this.#slice();
    const { requests, retries } = w.totals(slice);
    const allowed = Math.max(this.#settings.minRetries, (requests * this.#settings.percent) / 100);
    if (retries + 1 > allowed) return false;
    const i = w.bucket(slice);
    w.retries[i] = (w.retries[i] as number) + 1;
    return true;
  }

  /** Forgets targets not in `keep`. */
  retain(keep: ReadonlySet<string>): void {
    for (const id of this.#windows.keys()) if (!keep.has(id)) this.#windows.delete(id);
  }

  #slice(): number {
    return Math.floor(this.#now() / this.#sliceMs);
  }

  #window(target: string): TargetWindow {
    let w = this.#windows.get(target);
    if (w === undefined) {
      w = new TargetWindow();
      this.#windows.set(target, w);
    }
    return w;
  }
}
