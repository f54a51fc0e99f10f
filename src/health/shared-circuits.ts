import type { Redis } from 'ioredis';
import { decodeCircuit, encodeCircuit } from './circuit-codec.ts';
import { cloneCircuit, ejectionAllowed, type EndpointCircuit } from './endpoint-circuit.ts';
import type { Clock, EndpointRef, HealthTransition } from './health-registry.ts';

/**
 * Changes the shared circuit in place and says whether to write it. It may run more than once (a conflict,
 * or again with the real pool cap), each time on a fresh copy: it must change nothing but `circuit` and `sink`.
 */
export type SharedStep = (circuit: EndpointCircuit, poolCanEject: boolean, sink: HealthTransition[]) => boolean;

export interface SharedResult {
  /** The circuit as written (or as found, when the step wrote nothing); the caller may keep it. */
  readonly circuit: EndpointCircuit;
  readonly transitions: readonly HealthTransition[];
}

/**
 * A write that did not happen. `maybeWritten`: EXEC itself failed (a timeout: Redis may have applied it).
 * `conflict`: other replicas kept winning the race; Redis itself is fine.
 */
export class SharedWriteError extends Error {
  readonly maybeWritten: boolean;
  readonly conflict: boolean;
  constructor(message: string, o: { maybeWritten?: boolean; conflict?: boolean; cause?: unknown } = {}) {
    super(message, { cause: o.cause });
    this.name = 'SharedWriteError';
    this.maybeWritten = o.maybeWritten ?? false;
    this.conflict = o.conflict ?? false;
  }
}

export interface SharedCircuitsOptions {
  readonly redis: Redis;
  readonly keyPrefix: string;
  readonly replicaId: string;
  readonly clock: Clock;
  /** A circuit for an endpoint Redis has no (valid) state of. */
  readonly fresh: (ref: EndpointRef) => EndpointCircuit;
  /** Read at each write: configure() may change it. */
  readonly maxEjectionPercent: () => number;
}

/** A change notice as published: who made it (so that replica skips its own), and which endpoint. */
export interface ChangeNotice {
  readonly from: string;
  readonly id: string;
  readonly pool: string;
}

/** Optimistic transactions on one connection: a conflict retries with the state that won, this many times. */
const MAX_ATTEMPTS = 5;
/** Circuits of endpoints nobody reports on any more age out. Every write renews it. */
const CIRCUIT_TTL_MS = 24 * 60 * 60 * 1000;

/**
 * The circuits every replica shares, in Redis. Keys: `${prefix}health:{pool}:id` holds one endpoint's circuit
 * as JSON and `${prefix}health:{pool}` the set of the pool's endpoints, for the ejection cap; the hash tag is
 * the pool, so one pool's keys share a cluster slot and one transaction may watch them together.
 *
 * WATCH state belongs to the connection: two transactions interleaved on it would unwatch each other's keys.
 * The caller runs update() calls one at a time (RedisHealthRegistry's serial queue).
 */
export class SharedCircuits {
  readonly #o: SharedCircuitsOptions;
  readonly channel: string;

  constructor(options: SharedCircuitsOptions) {
    this.#o = options;
    this.channel = `${options.keyPrefix}health:changes`;
  }

  circuitKey(ref: EndpointRef): string {
    return `${this.#o.keyPrefix}health:{${ref.pool}}:${ref.id}`;
  }

  poolKey(pool: string): string {
    return `${this.#o.keyPrefix}health:{${pool}}`;
  }

  /**
   * Read-modify-write of one circuit with WATCH/MULTI/EXEC, running the same state machine as everywhere.
   * The pool's other circuits are read (and watched) only when the step would eject: the common write costs
   * two round trips and conflicts only with writes to the same endpoint.
   */
  async update(ref: EndpointRef, step: SharedStep): Promise<SharedResult> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const result = await this.#attempt(ref, step);
      if (result !== undefined) return result;
    }
    throw new SharedWriteError(`health: ${MAX_ATTEMPTS} conflicting writes of ${ref.id} in a row`, { conflict: true });
  }

  /** The shared circuits of these endpoints (null: none yet), in one round trip. */
  async read(refs: readonly EndpointRef[]): Promise<(EndpointCircuit | null)[]> {
    const pipeline = this.#o.redis.pipeline();
    for (const ref of refs) pipeline.get(this.circuitKey(ref));
    const replies = (await pipeline.exec()) ?? [];
    return refs.map((ref, i) => {
      const [err, raw] = replies[i] ?? [new Error('no reply'), null];
      if (err !== null) throw err;
      return decodeCircuit(typeof raw === 'string' ? raw : null, ref);
    });
  }

  async forget(ref: EndpointRef): Promise<void> {
    await this.#o.redis.multi().del(this.circuitKey(ref)).srem(this.poolKey(ref.pool), ref.id).exec();
  }

  /** One replica per probe interval: the first to set the key runs the probe. */
  async claimProbe(ref: EndpointRef, intervalMs: number): Promise<boolean> {
    const key = `${this.#o.keyPrefix}health-probe:{${ref.pool}}:${ref.id}`;
    // 0.9 of the interval, so the next interval's claim finds the key gone despite timer drift.
    const reply = await this.#o.redis.set(key, this.#o.replicaId, 'PX', Math.max(1, Math.floor(intervalMs * 0.9)), 'NX');
    return reply === 'OK';
  }

  decodeNotice(message: string): ChangeNotice | undefined {
    try {
      const n: unknown = JSON.parse(message);
      if (typeof n !== 'object' || n === null) return undefined;
      const { from, id, pool } = n as Record<string, unknown>;
      if (typeof from !== 'string' || typeof id !== 'string' || typeof pool !== 'string') return undefined;
      return from === this.#o.replicaId ? undefined : { from, id, pool };
    } catch {
      return undefined;
    }
  }

  /** One attempt: the result, or undefined after a conflict (another replica wrote first). */
  async #attempt(ref: EndpointRef, step: SharedStep): Promise<SharedResult | undefined> {
    const redis = this.#o.redis;
    const key = this.circuitKey(ref);
    let raw: unknown;
    try {
      const replies = await redis.pipeline().watch(key).get(key).exec();
      const [err, value] = replies?.[1] ?? [new Error('no reply'), null];
      if (err !== null) throw err;
      raw = value;
    } catch (err) {
      throw new SharedWriteError(`health: cannot read ${ref.id}`, { cause: err });
    }
    const found = decodeCircuit(typeof raw === 'string' ? raw : null, ref) ?? this.#o.fresh(ref);
    let { circuit, sink, write } = run(found, step, true);
    if (sink.some(isEjection) && !(await this.#poolCanEject(ref))) ({ circuit, sink, write } = run(found, step, false));
    if (!write) {
      await redis.unwatch().catch(() => undefined);
      return { circuit: found, transitions: sink };
    }
    const tx = redis.multi()
      .set(key, encodeCircuit(circuit), 'PX', CIRCUIT_TTL_MS)
      .sadd(this.poolKey(ref.pool), ref.id)
      .pexpire(this.poolKey(ref.pool), CIRCUIT_TTL_MS);
    if (sink.length > 0) tx.publish(this.channel, JSON.stringify({ from: this.#o.replicaId, id: ref.id, pool: ref.pool } satisfies ChangeNotice));
    let replies: unknown;
    try {
      replies = await tx.exec();
    } catch (err) {
      throw new SharedWriteError(`health: writing ${ref.id} failed`, { maybeWritten: true, cause: err });
    }
    return replies === null ? undefined : { circuit, transitions: sink };
  }

  /** The cap as all replicas see it: the pool's other circuits, watched so that a concurrent ejection conflicts. */
  async #poolCanEject(ref: EndpointRef): Promise<boolean> {
    const redis = this.#o.redis;
    try {
      const members = (await redis.smembers(this.poolKey(ref.pool))).filter((id) => id !== ref.id);
      if (members.length === 0) return true;
      const keys = members.map((id) => this.circuitKey({ id, pool: ref.pool }));
      await redis.watch(...keys);
      const raws = await redis.mget(...keys);
      const now = this.#o.clock();
      const ejected = members.filter((id, i) => {
        const until = decodeCircuit(raws[i] ?? null, { id, pool: ref.pool })?.ejectedUntil ?? null;
        return until !== null && now < until;
      }).length;
      return ejectionAllowed(ejected, members.length + 1, this.#o.maxEjectionPercent());
    } catch (err) {
      throw new SharedWriteError(`health: cannot read the pool of ${ref.id}`, { cause: err });
    }
  }
}

function run(found: EndpointCircuit, step: SharedStep, poolCanEject: boolean): { circuit: EndpointCircuit; sink: HealthTransition[]; write: boolean } {
  const circuit = cloneCircuit(found);
  const sink: HealthTransition[] = [];
  return { circuit, sink, write: step(circuit, poolCanEject, sink) };
}

function isEjection(t: HealthTransition): boolean {
  return t.kind === 'ejection' && t.to === 'ejected';
}
