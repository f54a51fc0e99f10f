import type { StorageChange } from './ports.ts';

type Listener = (change: StorageChange) => void;

/**
 * The in-process half of Storage.subscribe: adapters emit their own writes here. A throwing listener is isolated
 * so that one bad subscriber cannot stop the others or fail the write that emitted.
 */
export class ChangeEmitter {
  readonly #listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => { this.#listeners.delete(listener); };
  }

  emit(change: StorageChange): void {
    for (const listener of this.#listeners) {
      try {
        listener(change);
      } catch {
        // Listeners log their own failures; the store's write already succeeded.
      }
    }
  }
}
