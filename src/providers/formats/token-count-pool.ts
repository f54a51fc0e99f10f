/**
 * Local count_tokens without stalling the event loop. Tokenizing is CPU-bound and synchronous, and its
 * cost depends on the text as much as on its size (measured with Node 24 on the 2-core dev machine, after
 * token-counter.ts's chunking: ~0.05 µs per character of prose or code, ~1–3.5 µs of random ASCII or
 * letters, ~5–8 µs of random CJK). A 10 MiB body could hold the event loop for seconds, so only tiny
 * bodies are counted inline; the rest go, FIFO, to a worker thread running the same countMessageTokens.
 */
import { Worker } from 'node:worker_threads';
import { GatewayError } from '../../errors/gateway-error.ts';
import { countMessageTokens, countedTextLength } from './token-counter.ts';
import type { CountReply, CountRequest } from './token-count-worker.ts';

/**
 * Bodies with fewer counted characters than this are counted inline. Chosen on worst-case text, since any
 * inference key picks the text: 128 random CJK characters took ~0.6 ms (median of 50, fresh strings),
 * random letters ~0.3 ms, prose ~0.01 ms; at 1024 characters random CJK took ~6 ms. Anything larger pays
 * a worker round trip instead: ~0.1 ms median for a small body once the worker is up; the first count also
 * waits ~0.2 s for the worker to start and load the encoding.
 */
const INLINE_BELOW_CHARS = 128;

/**
 * The most characters one count tokenizes; more is refused with SB_INVALID_REQUEST. 4 M characters is
 * about 1 M tokens of English or code, the largest context window offered today, so no real prompt is
 * refused, while the worker's time per job stays bounded: ~1 s for 4 M characters of prose, ~10–15 s for 4 M
 * random letters, ~30 s for the ~3.5 M random CJK characters a 10 MiB body holds. A smaller body limit for
 * the route would bound this worse: the cost is per character of counted text, while the body limit counts
 * bytes of JSON, most of which can be images (not tokenized) in a legitimate request.
 */
const MAX_COUNTED_CHARS = 4_000_000;

/** Counts waiting for a worker (running ones not included); past it, SB_GATEWAY_OVERLOADED. */
const MAX_QUEUED = 32;

/** One worker: the machines have 2 cores, and the other belongs to the event loop. */
const WORKERS = 1;

const WORKER_URL = new URL('./token-count-worker.ts', import.meta.url);

export interface TokenCountPoolOptions {
  readonly workers?: number;
  readonly maxQueued?: number;
  readonly maxChars?: number;
  readonly inlineBelowChars?: number;
  /** The worker script; tests swap in one that crashes. */
  readonly workerUrl?: URL;
}

type Body = Readonly<Record<string, unknown>>;

interface Job {
  readonly id: number;
  readonly body: Body;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (tokens: number) => void;
  readonly reject: (reason: unknown) => void;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

interface Slot {
  readonly worker: Worker;
  job: Job | undefined;
  /** What the worker threw before it exited, for the log. */
  error: unknown;
}

export class TokenCountPool {
  readonly #workers: number;
  readonly #maxQueued: number;
  readonly #maxChars: number;
  readonly #inlineBelowChars: number;
  readonly #workerUrl: URL;
  readonly #queue: Job[] = [];
  readonly #slots = new Set<Slot>();
  #nextId = 1;

  constructor(options: TokenCountPoolOptions = {}) {
    this.#workers = Math.max(1, options.workers ?? WORKERS);
    this.#maxQueued = options.maxQueued ?? MAX_QUEUED;
    this.#maxChars = options.maxChars ?? MAX_COUNTED_CHARS;
    this.#inlineBelowChars = options.inlineBelowChars ?? INLINE_BELOW_CHARS;
    this.#workerUrl = options.workerUrl ?? WORKER_URL;
  }

  /** countMessageTokens(body), inline for tiny bodies, else on a worker. Rejects with the signal's reason on abort. */
  async count(body: Body, signal?: AbortSignal): Promise<number> {
    signal?.throwIfAborted();
    const chars = countedTextLength(body);
    if (chars > this.#maxChars) throw tooMuchText(chars, this.#maxChars);
    if (chars < this.#inlineBelowChars) return countMessageTokens(body);
    return this.#enqueue(body, signal);
  }

  /**
   * Terminates the workers; counts still waiting or running reject with SB_SHUTTING_DOWN. A count after
   * close() starts a worker again, so late requests during a drain are still answered.
   */
  async close(): Promise<void> {
    const closing = new GatewayError('SB_SHUTTING_DOWN');
    for (const job of this.#queue.splice(0)) fail(job, closing);
    const slots = [...this.#slots];
    this.#slots.clear(); // their exit events must not restart anything
    for (const slot of slots) if (slot.job !== undefined) fail(slot.job, closing);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #enqueue(body: Body, signal: AbortSignal | undefined): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const job: Job = { id: this.#nextId++, body, signal, resolve, reject, onAbort: undefined, settled: false };
      if (signal !== undefined) {
        job.onAbort = () => this.#abort(job);
        signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.#queue.push(job);
      this.#dispatch();
      // Still waiting (no idle worker) and over the bound: it is the last one in, so it is the one refused.
      if (this.#queue.length > this.#maxQueued && this.#queue.at(-1) === job) {
        this.#queue.pop();
        fail(job, new GatewayError('SB_GATEWAY_OVERLOADED'));
      }
    });
  }

  /** A waiting job leaves the queue; a running one is answered now and its worker's answer ignored. */
  #abort(job: Job): void {
    const index = this.#queue.indexOf(job);
    if (index !== -1) this.#queue.splice(index, 1);
    for (const slot of this.#slots) if (slot.job === job) slot.worker.unref(); // nobody waits for it now
    fail(job, job.signal?.reason);
  }

  #dispatch(): void {
    while (this.#queue.length > 0) {
      let slot: Slot | undefined;
      try {
        slot = this.#idleSlot();
      } catch (error) {
        for (const job of this.#queue.splice(0)) fail(job, internal(error));
        return;
      }
      const job = slot === undefined ? undefined : this.#queue.shift();
      if (slot === undefined || job === undefined) return;
      this.#start(slot, job);
    }
  }

  #idleSlot(): Slot | undefined {
    for (const slot of this.#slots) if (slot.job === undefined) return slot;
    return this.#slots.size < this.#workers ? this.#spawn() : undefined;
  }

  /**
   * Started on first need. unref()ed while idle so it never keeps the process alive, ref()ed while a
   * caller waits for its answer (else a process with nothing else to do would exit under that caller).
   */
  #spawn(): Slot {
    const worker = new Worker(this.#workerUrl);
    worker.unref();
    const slot: Slot = { worker, job: undefined, error: undefined };
    worker.on('message', (reply: CountReply) => this.#onReply(slot, reply));
    worker.on('error', (error) => { slot.error = error; }); // the 'exit' that follows settles the job
    worker.on('exit', (code) => this.#onExit(slot, code));
    this.#slots.add(slot);
    return slot;
  }

  #start(slot: Slot, job: Job): void {
    slot.job = job;
    slot.worker.ref();
    try {
      slot.worker.postMessage({ id: job.id, body: job.body } satisfies CountRequest);
    } catch (error) {
      // Not structured-cloneable: parsed JSON always is, so this is a caller's bug.
      slot.job = undefined;
      slot.worker.unref();
      fail(job, internal(error));
    }
  }

  #onReply(slot: Slot, reply: CountReply): void {
    const job = slot.job;
    if (job === undefined || job.id !== reply.id) return;
    slot.job = undefined;
    slot.worker.unref();
    if ('error' in reply) fail(job, internal(new Error(reply.error)));
    else succeed(job, reply.tokens);
    this.#dispatch();
  }

  /** A worker that died mid-count fails that count only; the next job waiting gets a fresh worker. */
  #onExit(slot: Slot, code: number): void {
    if (!this.#slots.delete(slot)) return; // closed
    if (slot.job !== undefined) fail(slot.job, internal(slot.error ?? new Error(`token counter worker exited with code ${code}`)));
    this.#dispatch();
  }
}

function settle(job: Job): boolean {
  if (job.settled) return false;
  job.settled = true;
  if (job.onAbort !== undefined) job.signal?.removeEventListener('abort', job.onAbort);
  return true;
}

function succeed(job: Job, tokens: number): void {
  if (settle(job)) job.resolve(tokens);
}

function fail(job: Job, reason: unknown): void {
  if (settle(job)) job.reject(reason);
}

function internal(cause: unknown): GatewayError {
  return new GatewayError('SB_INTERNAL', { cause });
}

function tooMuchText(chars: number, max: number): GatewayError {
  return new GatewayError('SB_INVALID_REQUEST', {
    param: 'messages',
    message: `count_tokens counts at most ${max} characters of text for this model; this request has ${chars}. Send less text.`,
  });
}

const pool = new TokenCountPool();

/** Input tokens of a count_tokens body (see countMessageTokens), counted without blocking the event loop. */
export function countInputTokens(body: Readonly<Record<string, unknown>>, signal?: AbortSignal): Promise<number> {
  return pool.count(body, signal);
}

/** Ends the token-count worker; call on shutdown. */
export function closeTokenCountPool(): Promise<void> {
  return pool.close();
}
