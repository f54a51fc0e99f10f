import { Counter, type Registry } from 'prom-client';

interface Pending {
  readonly labels: Record<string, string>;
  delta: number;
}

/**
 * A Prometheus counter whose increments on the hot path are plain additions; they reach prom-client when the
 * registry is scraped. prom-client hashes the label set on every inc(), even through a cached child, and that
 * showed in the chat benchmark's CPU profile (bench/chat.ts, c=64).
 */
export class DeferredCounter<L extends string> {
  readonly #labelNames: readonly L[];
  readonly #pending = new Map<string, Pending>();

  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[]) {
    this.#labelNames = labelNames;
    const pending = this.#pending;
    new Counter<L>({
      name, help, labelNames: [...labelNames], registers: [registry],
      collect() {
        for (const entry of pending.values()) {
          if (entry.delta > 0) this.inc(entry.labels as Partial<Record<L, string>>, entry.delta);
          entry.delta = 0;
        }
      },
    });
  }

  /** Adds `value` (default 1) to the series named by `values`, in labelNames order. */
  add(values: readonly string[], value = 1): void {
    const key = values.join('\u0000');
    let entry = this.#pending.get(key);
    if (entry === undefined) {
      const labels: Record<string, string> = {};
      this.#labelNames.forEach((name, i) => { labels[name] = values[i] ?? ''; });
      this.#pending.set(key, entry = { labels, delta: 0 });
    }
    entry.delta += value;
  }
}
