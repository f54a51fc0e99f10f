import type { Config } from './schema.ts';

/** The configuration a request runs on: one validated, frozen version. */
export interface ConfigSnapshot {
  /** The stored version number; 0 when it was not read from a store (a file alone, tests). */
  readonly version: number;
  readonly config: Config;
}

/**
 * The one way features read settings: the current snapshot, taken once per request (a request in flight keeps
 * the snapshot it started with), and a call after each swap for what must be rebuilt (provider pools).
 */
export interface ConfigView {
  current(): ConfigSnapshot;
  /** Returns the unsubscribe function. Listeners run after the swap; one that throws does not stop the others. */
  onChange(listener: (next: ConfigSnapshot, previous: ConfigSnapshot) => void): () => void;
}

/** A view that never changes: for tests and tools that run on one configuration. */
export function fixedConfigView(config: Config, version = 0): ConfigView {
  const snapshot: ConfigSnapshot = Object.freeze({ version, config });
  return { current: () => snapshot, onChange: () => () => {} };
}
