/**
 * What the shutdown sequence needs to know about requests: whether we are draining, and which AI requests are
 * still being answered (their usage records are written when they end, so the last flush must wait for them).
 */
export class Lifecycle {
  shuttingDown = false;
  readonly #inflight = new Set<Promise<unknown>>();

  /** Registers an answer in progress until it settles. */
  track<T>(work: Promise<T>): Promise<T> {
    this.#inflight.add(work);
    const forget = (): void => { this.#inflight.delete(work); };
    work.then(forget, forget);
    return work;
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  /** Resolves when every tracked answer has settled, or after `timeoutMs`, whichever comes first. */
  async idle(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs); });
    await Promise.race([Promise.allSettled([...this.#inflight]), timeout]);
    clearTimeout(timer);
  }
}
