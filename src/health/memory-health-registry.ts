import { admitAt, admitsAnyTime, applyProbe, newCircuit, recordVerdicts, wantsEjection, type EndpointCircuit } from './endpoint-circuit.ts';
import type { AttemptVerdict, Clock, EndpointRef, EndpointStatus, HealthRegistry, HealthSettings, HealthTransition, ProbeSettings } from './health-registry.ts';
import { movingAverage, NO_LATENCY, timesService } from './latency-average.ts';
import { entryStatus, entryStatuses } from './entry-status.ts';
import { PoolMembers } from './pool-members.ts';
import { TransitionFanout } from './transition-fanout.ts';
import { addVerdict, emptyBatch, resetBatch } from './verdict-batch.ts';

export interface MemoryHealthRegistryOptions {
  readonly settings: HealthSettings;
  /** Default Date.now. */
  readonly clock?: Clock;
}

interface Entry {
  circuit: EndpointCircuit;
  /** NaN until the first sample (see movingAverage). */
  latencyMs: number;
}

/**
 * One replica's health registry: circuits in a Map, changed in place. While an endpoint is known and nothing
 * changes, admit() allocates nothing (it reads the clock only when the answer depends on the time) and
 * report() no object: one reusable batch, one reusable transition sink, a latency field that only holds
 * numbers. What remains is V8's: Date.now() returns a new heap number, and a fractional number may be boxed
 * where the compiler did not inline (memory-health-registry.test.ts measures both).
 */
export class MemoryHealthRegistry implements HealthRegistry {
  readonly backend = 'memory' as const;
  readonly shared = false;
  #settings: HealthSettings;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #pools = new PoolMembers<Entry>();
  readonly #fanout = new TransitionFanout();
  readonly #sink: HealthTransition[] = [];
  readonly #one = emptyBatch();

  constructor(options: MemoryHealthRegistryOptions) {
    this.#settings = options.settings;
    this.#clock = options.clock ?? Date.now;
  }

  admit(endpoint: EndpointRef): boolean {
    const c = this.#entry(endpoint).circuit;
    if (admitsAnyTime(c)) return true;
    const admitted = admitAt(c, this.#settings, this.#clock(), this.#sink);
    this.#fanout.drain(this.#sink);
    return admitted;
  }

  report(endpoint: EndpointRef, verdict: AttemptVerdict, latencyMs: number): void {
    const entry = this.#entry(endpoint);
    if (timesService(verdict, latencyMs)) entry.latencyMs = movingAverage(entry.latencyMs, latencyMs, this.#settings.latencyAlpha);
    const c = entry.circuit;
    const now = this.#clock();
    const one = this.#one;
    resetBatch(one);
    addVerdict(one, verdict);
    const canEject = wantsEjection(c, one, this.#settings, now) && this.#pools.canEject(c.pool, entry, now, this.#settings.ejection.maxEjectionPercent);
    recordVerdicts(c, one, this.#settings, now, canEject, this.#sink);
    this.#fanout.drain(this.#sink);
  }

  reportProbe(endpoint: EndpointRef, settings: ProbeSettings, ok: boolean, error: string | null): void {
    applyProbe(this.#entry(endpoint).circuit, settings, ok, error, this.#clock(), this.#sink);
    this.#fanout.drain(this.#sink);
  }

  async claimProbe(): Promise<boolean> {
    return true;
  }

  status(endpoint: EndpointRef): EndpointStatus {
    return entryStatus(this.#entries.get(endpoint.id), endpoint, this.#settings, this.#clock());
  }

  list(): EndpointStatus[] {
    return entryStatuses(this.#entries.values(), this.#settings, this.#clock());
  }

  onTransition(listener: (t: HealthTransition) => void): () => void {
    return this.#fanout.add(listener);
  }

  configure(settings: HealthSettings): void {
    this.#settings = settings;
  }

  retain(keep: ReadonlySet<string>): void {
    for (const [id, entry] of this.#entries) {
      if (keep.has(id)) continue;
      this.#entries.delete(id);
      this.#pools.remove(entry.circuit.pool, entry);
    }
  }

  async close(): Promise<void> {
    this.#fanout.clear();
  }

  #entry(ref: EndpointRef): Entry {
    const known = this.#entries.get(ref.id);
    if (known !== undefined && known.circuit.pool === ref.pool) return known;
    // First sight, or the endpoint moved to another pool (a new configuration): its history goes with it.
    const circuit = known === undefined ? newCircuit(ref, this.#settings, this.#clock()) : { ...known.circuit, pool: ref.pool };
    const entry: Entry = { circuit, latencyMs: known?.latencyMs ?? NO_LATENCY };
    if (known !== undefined) this.#pools.remove(known.circuit.pool, known);
    this.#entries.set(ref.id, entry);
    this.#pools.add(ref.pool, entry);
    return entry;
  }
}
