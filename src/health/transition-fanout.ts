import type { HealthTransition } from './health-registry.ts';

/** onTransition() of both registries: listeners are called in order, and one that throws stops no other. */
export class TransitionFanout {
  readonly #listeners = new Set<(t: HealthTransition) => void>();

  add(listener: (t: HealthTransition) => void): () => void {
    // A wrapper per subscription, so the same function subscribed twice is called twice and unsubscribed once.
    const wrapped = (t: HealthTransition): void => listener(t);
    this.#listeners.add(wrapped);
    return () => { this.#listeners.delete(wrapped); };
  }

  /** Hands out and then empties `sink`, so the caller can keep reusing one array. */
  drain(sink: HealthTransition[]): void {
    if (sink.length === 0) return;
    const batch = sink.splice(0, sink.length);
    for (const t of batch) {
      for (const listener of this.#listeners) {
        try {
          listener(t);
        } catch {
          // A listener's bug must not reach the request that happened to cause the transition.
        }
      }
    }
  }

  clear(): void {
    this.#listeners.clear();
  }
}
