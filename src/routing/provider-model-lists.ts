import type { ProviderAdapter } from '../providers/provider-adapter.ts';

/** What the cache needs of a provider. */
export type ModelListSource = Pick<ProviderAdapter, 'name' | 'listModels'>;

export interface ProviderModelListsOptions {
  /** How long a fetched list is fresh; a stale one is still served while it is refreshed in the background. */
  readonly ttlMs?: number;
  /** Longest a caller waits for providers never fetched yet before answering with what it has. */
  readonly firstWaitMs?: number;
  /** When to ask again after a failed fetch (or a provider that offers no list). */
  readonly retryMs?: number;
  readonly now?: () => number;
}

export const MODEL_LIST_TTL_MS = 10 * 60_000;
export const MODEL_LIST_FIRST_WAIT_MS = 2_000;
export const MODEL_LIST_RETRY_MS = 60_000;

interface Entry {
  readonly source: ModelListSource;
  /** The last good list; kept when a later fetch fails. */
  list: readonly string[] | undefined;
  /** Whether any fetch has finished (well or not): only a provider's very first fetch is worth waiting for. */
  settled: boolean;
  dueAt: number;
  inflight: Promise<void> | undefined;
  /** performance.now() past which nobody waits for the first fetch any more, however many callers came. */
  firstWaitEnd: number;
}

/**
 * The providers' own model lists for GET /v1/models, fetched lazily on first need (never at start-up, so
 * offline starts and tests make no call they do not need), cached for ttlMs, refreshed in the background
 * once stale, at most one fetch in flight per provider.
 */
export class ProviderModelLists {
  readonly #entries: readonly Entry[];
  readonly #ttlMs: number;
  readonly #firstWaitMs: number;
  readonly #retryMs: number;
  readonly #now: () => number;
  /** Aborted by close(), so a shutdown does not wait for a slow list. */
  readonly #closing = new AbortController();

  constructor(sources: Iterable<ModelListSource>, options: ProviderModelListsOptions = {}) {
    this.#entries = [...sources].map((source) => ({ source, list: undefined, settled: false, dueAt: -Infinity, inflight: undefined, firstWaitEnd: 0 }));
    this.#ttlMs = options.ttlMs ?? MODEL_LIST_TTL_MS;
    this.#firstWaitMs = options.firstWaitMs ?? MODEL_LIST_FIRST_WAIT_MS;
    this.#retryMs = options.retryMs ?? MODEL_LIST_RETRY_MS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Provider name → its list, for the providers that have one, in the order the providers were given.
   * Starts the fetches that are due; waits only for providers never fetched before, and for each at most
   * firstWaitMs from when its fetch started, so callers arriving later do not wait the whole bound again.
   */
  async current(): Promise<ReadonlyMap<string, readonly string[]>> {
    const first: Promise<void>[] = [];
    let waitEnd = 0;
    for (const entry of this.#entries) {
      const inflight = this.#refreshIfDue(entry);
      if (!entry.settled && inflight !== undefined) {
        first.push(inflight);
        waitEnd = Math.max(waitEnd, entry.firstWaitEnd);
      }
    }
    const waitMs = waitEnd - performance.now();
    if (first.length > 0 && waitMs > 0) await withinMs(Promise.all(first), waitMs);
    const out = new Map<string, readonly string[]>();
    for (const entry of this.#entries) if (entry.list !== undefined) out.set(entry.source.name, entry.list);
    return out;
  }

  /** Aborts fetches in flight and starts no new ones. */
  close(): void {
    this.#closing.abort();
  }

  #refreshIfDue(entry: Entry): Promise<void> | undefined {
    if (entry.inflight !== undefined || this.#closing.signal.aborted || this.#now() < entry.dueAt) return entry.inflight;
    if (!entry.settled) entry.firstWaitEnd = performance.now() + this.#firstWaitMs;
    entry.inflight = this.#fetch(entry).finally(() => {
      entry.settled = true;
      entry.inflight = undefined;
    });
    return entry.inflight;
  }

  async #fetch(entry: Entry): Promise<void> {
    let list: readonly string[] | undefined;
    try {
      list = await entry.source.listModels(this.#closing.signal);
    } catch {
      list = undefined; // adapters promise not to throw; a broken one must not break GET /v1/models either
    }
    if (list !== undefined) entry.list = Object.freeze([...list]);
    entry.dueAt = this.#now() + (list === undefined ? Math.min(this.#retryMs, this.#ttlMs) : this.#ttlMs);
  }
}

/** Settles when `work` does or after `ms`, whichever is first; the timer is cleared either way. */
async function withinMs(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const elapsed = new Promise<void>((resolve) => { timer = setTimeout(resolve, ms); });
  try {
    await Promise.race([work, elapsed]);
  } finally {
    clearTimeout(timer);
  }
}
