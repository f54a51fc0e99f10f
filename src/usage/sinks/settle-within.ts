/**
 * `work`, or a rejection with `message` once `ms` have passed, whichever comes first: a sink's promise to settle
 * within its own timeout whatever its client library does. The timer is cleared as soon as `work` settles, and a
 * rejection of `work` that comes after the timeout is dropped (the caller has had its answer).
 */
export function settleWithin<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(message)), ms);
    work.then(
      (value) => { clearTimeout(timer); resolve(value); },
      (err: unknown) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err))); },
    );
  });
}
