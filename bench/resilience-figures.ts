// The figures the resilience phase is judged by, computed in one place so the report and the verdicts agree.
import { TRACKING_ORDER, type ResilienceCells } from './measure-resilience.ts';

export interface ResilienceFigures {
  /** CPU µs/req with health tracking off and on: the mean of that side's two cells; null unless all four were measured. */
  readonly cpuOff: number | null;
  readonly cpuOn: number | null;
  /** on − off */
  readonly cpuAdded: number | null;
  readonly p50Plain: number | null;
  readonly p50Fallback: number | null;
  /** fallback − plain, p50 at c=1 */
  readonly p50Added: number | null;
  readonly p99Plain: number | null;
  readonly p99Fallback: number | null;
}

/** Null unless every cell has a figure. */
function mean(values: readonly (number | null)[]): number | null {
  let sum = 0;
  for (const v of values) {
    if (v === null) return null;
    sum += v;
  }
  return values.length === 0 ? null : sum / values.length;
}

const minus = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : a - b);

export function resilienceFigures(r: ResilienceCells): ResilienceFigures {
  // A part that broke off has lost the interleaving that cancels drift: no figure rather than a biased one.
  const complete = r.healthTracking.length === TRACKING_ORDER.length;
  const cpu = (on: boolean): number | null => (complete ? mean(r.healthTracking.filter((t) => t.healthTracking === on).map((t) => t.cell.cpuUsPerRequest)) : null);
  const cpuOff = cpu(false);
  const cpuOn = cpu(true);
  const plain = r.fallback?.plain.window.result;
  const fallback = r.fallback?.fallback.window.result;
  const p50Plain = plain?.p50 ?? null;
  const p50Fallback = fallback?.p50 ?? null;
  return {
    cpuOff, cpuOn, cpuAdded: minus(cpuOn, cpuOff),
    p50Plain, p50Fallback, p50Added: minus(p50Fallback, p50Plain),
    p99Plain: plain?.p99 ?? null, p99Fallback: fallback?.p99 ?? null,
  };
}
