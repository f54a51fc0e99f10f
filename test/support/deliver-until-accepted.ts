import { setTimeout as sleep } from 'node:timers/promises';
import type { RecordSink, SinkRecord } from '../../src/usage/sinks/record-sink.ts';

export interface DeliveryReport {
  /** Rejections, all batches together. */
  readonly rejections: number;
  /** The ids of every batch that was rejected at least once (a copy of these may be stored twice). */
  readonly retriedIds: ReadonlySet<string>;
  /** The longest a single deliver() call took to settle, in ms. */
  readonly slowestCallMs: number;
}

/**
 * The delivery loop as the journal runs it, for sink tests: each batch in turn, and after a rejection the same
 * batch again `retryWaitMs` later, until the sink accepts it or `deadlineMs` (for the whole run) has passed.
 */
export async function deliverUntilAccepted(
  sink: RecordSink,
  batches: readonly (readonly SinkRecord[])[],
  options: { readonly retryWaitMs?: number; readonly deadlineMs?: number; readonly beforeBatch?: (index: number) => void } = {},
): Promise<DeliveryReport> {
  const { retryWaitMs = 200, deadlineMs = 60_000 } = options;
  const deadline = performance.now() + deadlineMs;
  const retriedIds = new Set<string>();
  let rejections = 0;
  let slowestCallMs = 0;
  for (const [index, batch] of batches.entries()) {
    options.beforeBatch?.(index);
    for (;;) {
      const started = performance.now();
      try {
        await sink.deliver(batch);
        slowestCallMs = Math.max(slowestCallMs, performance.now() - started);
        break;
      } catch (err) {
        slowestCallMs = Math.max(slowestCallMs, performance.now() - started);
        rejections++;
        for (const record of batch) retriedIds.add(record.id);
        if (performance.now() > deadline) throw new Error(`batch ${index} still rejected after ${deadlineMs} ms`, { cause: err });
        await sleep(retryWaitMs);
      }
    }
  }
  return { rejections, retriedIds, slowestCallMs };
}
