import { ejectionAllowed, type EndpointCircuit } from './endpoint-circuit.ts';

/** What a registry keeps per endpoint: the circuit may be replaced (the Redis registry swaps in the shared one). */
export interface CircuitHolder {
  circuit: EndpointCircuit;
}

/** The endpoints of each pool that a registry knows, for the ejection cap. */
export class PoolMembers<E extends CircuitHolder> {
  readonly #pools = new Map<string, E[]>();

  add(pool: string, entry: E): void {
    const members = this.#pools.get(pool);
    if (members === undefined) this.#pools.set(pool, [entry]);
    else members.push(entry);
  }

  remove(pool: string, entry: E): void {
    const members = this.#pools.get(pool);
    if (members === undefined) return;
    const at = members.indexOf(entry);
    if (at !== -1) members.splice(at, 1);
    if (members.length === 0) this.#pools.delete(pool);
  }

  /** Whether ejecting `entry` keeps its pool within maxEjectionPercent (it counts as a member even if not added). */
  canEject(pool: string, entry: E, now: number, maxEjectionPercent: number): boolean {
    const members = this.#pools.get(pool) ?? [];
    let ejected = 0;
    let size = 1;
    for (const m of members) {
      if (m === entry) continue;
      size++;
      const until = m.circuit.ejectedUntil;
      if (until !== null && now < until) ejected++;
    }
    return ejectionAllowed(ejected, size, maxEjectionPercent);
  }
}
