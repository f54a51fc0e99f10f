// The issue's performance targets, judged against one run's numbers. A FAIL is a finding, not a
// harness error: the benchmark still exits 0. Limits live here so the report and the docs agree.
import { delta, num, ratio } from './format.ts';
import type { JsonCell } from './measure-json.ts';
import type { StreamCell } from './measure-stream.ts';
import { resilienceFigures } from './resilience-figures.ts';
import type { RunData } from './run-data.ts';
import type { TargetName } from './target.ts';

export const LIMITS = { cpuRatio: 2, cpuRatioAim: 1.5, addedP50Ms: 0.3, firstByteMs: 1, rssMb: 200, healthTrackingUs: 3, fallbackP50Ms: 0.5 } as const;

export type Status = 'PASS' | 'FAIL' | 'n/a';

export interface Verdict {
  check: string;
  measured: string;
  limit: string;
  status: Status;
  note: string;
}

const json = (d: RunData, t: TargetName, c: number): JsonCell | undefined => d.jsonCells.find((x) => x.target === t && x.c === c);
const stream = (d: RunData, t: TargetName, c: number): StreamCell | undefined => d.streamCells.find((x) => x.target === t && x.c === c);
const pass = (ok: boolean): Status => (ok ? 'PASS' : 'FAIL');

/** Share of failed answers above which a cell's cost figures are void (failing fast is cheap). */
const MAX_FAILED_SHARE = 0.01;

function failedShare(cell: JsonCell | undefined): number {
  const r = cell?.window.result;
  return r ? (r.non2xx + r.errors) / Math.max(1, r.responses + r.errors) : 0;
}

function voided(check: string, limit: string, cell: JsonCell | undefined): Verdict | null {
  const share = failedShare(cell);
  if (share <= MAX_FAILED_SHARE) return null;
  return { check, measured: '–', limit, status: 'n/a', note: `void: ${(100 * share).toFixed(1)} % of switchboard's requests failed` };
}

/** The first of several cells that voids a check. */
function voidedAny(check: string, limit: string, cells: readonly JsonCell[]): Verdict | null {
  for (const cell of cells) {
    const isVoid = voided(check, limit, cell);
    if (isVoid) return isVoid;
  }
  return null;
}

const failedCount = (cells: readonly JsonCell[]): number => cells.reduce((n, x) => n + x.window.result.non2xx + x.window.result.errors, 0);

function cpuVerdict(d: RunData, c: number): Verdict {
  const check = `CPU per request ÷ bare proxy, c=${c}`;
  const limit = `≤ ${LIMITS.cpuRatio}× (aim ${LIMITS.cpuRatioAim}×)`;
  const sb = json(d, 'switchboard', c)?.cpuUsPerRequest;
  const bare = json(d, 'bare-proxy', c)?.cpuUsPerRequest;
  const isVoid = voided(check, limit, json(d, 'switchboard', c));
  if (isVoid) return isVoid;
  if (!sb || !bare) return { check, measured: '–', limit, status: 'n/a', note: `bare proxy: ${num(bare)} µs/req` };
  const r = sb / bare;
  const aim = r <= LIMITS.cpuRatioAim ? 'aim met' : 'aim not met';
  return { check, measured: ratio(r), limit, status: pass(r <= LIMITS.cpuRatio), note: `${num(sb)} vs ${num(bare)} µs/req; ${aim}` };
}

function latencyVerdict(d: RunData): Verdict {
  const check = 'Added p50 latency at c=1 (switchboard − direct)';
  const limit = `< ${LIMITS.addedP50Ms} ms`;
  const direct = json(d, 'direct', 1)?.window.result.p50;
  const bare = json(d, 'bare-proxy', 1)?.window.result.p50;
  const sb = json(d, 'switchboard', 1)?.window.result.p50;
  const note = `bare proxy adds ${delta(bare != null && direct != null ? bare - direct : null)} ms`;
  const isVoid = voided(check, limit, json(d, 'switchboard', 1));
  if (isVoid) return isVoid;
  if (sb == null || direct == null) return { check, measured: '–', limit, status: 'n/a', note };
  return { check, measured: `${delta(sb - direct)} ms`, limit, status: pass(sb - direct < LIMITS.addedP50Ms), note };
}

function firstByteVerdict(d: RunData): Verdict {
  const check = 'Streaming first-byte overhead, p50 at c=1 (vs direct)';
  const limit = `< ${LIMITS.firstByteMs} ms`;
  const over = (t: TargetName, c: number): number | null => {
    const a = stream(d, t, c)?.window.result.firstP50;
    const b = stream(d, 'direct', c)?.window.result.firstP50;
    return a != null && b != null ? a - b : null;
  };
  const c16 = d.config.streamLevels.at(-1) ?? 16;
  const note = `c=${c16}: ${delta(over('switchboard', c16))} ms; bare proxy c=1: ${delta(over('bare-proxy', 1))} ms`;
  const sb = over('switchboard', 1);
  if (sb === null) return { check, measured: '–', limit, status: 'n/a', note };
  return { check, measured: `${delta(sb)} ms`, limit, status: pass(sb < LIMITS.firstByteMs), note };
}

function rssVerdict(d: RunData): Verdict {
  const check = 'Peak RSS (VmHWM) in any cell';
  const limit = `< ${LIMITS.rssMb} MB`;
  const cells = [...d.jsonCells, ...d.streamCells].filter((x) => x.target === 'switchboard');
  const note = `idle after start: ${num(d.idleRssMb.switchboard)} MB; bare proxy peak ${num(Math.max(0, ...[...d.jsonCells, ...d.streamCells].filter((x) => x.target === 'bare-proxy').map((x) => x.window.peakMb)))} MB`;
  if (cells.length === 0) return { check, measured: '–', limit, status: 'n/a', note };
  const peak = Math.max(...cells.map((x) => x.window.peakMb));
  return { check, measured: `${num(peak)} MB`, limit, status: pass(peak < LIMITS.rssMb), note };
}

function errorVerdict(d: RunData): Verdict {
  const check = 'Failed requests under load (non-2xx, errors, broken streams)';
  const jsonBad = d.jsonCells.filter((x) => x.target === 'switchboard').reduce((n, x) => n + x.window.result.non2xx + x.window.result.errors, 0);
  const streamBad = d.streamCells.filter((x) => x.target === 'switchboard').reduce((n, x) => n + x.window.result.errors, 0);
  const measured = d.jsonCells.some((x) => x.target === 'switchboard') ? String(jsonBad + streamBad) : '–';
  const status: Status = measured === '–' ? 'n/a' : pass(jsonBad + streamBad === 0);
  return { check, measured, limit: '0', status, note: 'any failure makes the other figures suspect' };
}

function swapVerdict(d: RunData): Verdict {
  const check = 'Failed requests while the configuration changes every 100 ms';
  const s = d.swapCell;
  if (s === null) return { check, measured: '–', limit: '0', status: 'n/a', note: 'not measured' };
  const bad = s.cell.window.result.non2xx + s.cell.window.result.errors + s.swapFailures;
  const plain = s.control.cpuUsPerRequest;
  const cost = plain && s.cell.cpuUsPerRequest ? ` CPU ${num(s.cell.cpuUsPerRequest)} vs ${num(plain)} µs/req in the same cell just before, without swaps (${ratio(s.cell.cpuUsPerRequest / plain)}).` : '';
  return { check, measured: String(bad), limit: '0', status: pass(bad === 0), note: `${s.swaps} versions swapped in at c=${s.cell.c}, ${s.swapFailures} admin writes failed.${cost}` };
}

function healthTrackingVerdict(d: RunData, c: number): Verdict {
  const check = `CPU per request added by health tracking (breakers, ejection), c=${c}`;
  const limit = `< ${LIMITS.healthTrackingUs} µs`;
  const r = d.resilience;
  if (r === null) return { check, measured: '–', limit, status: 'n/a', note: 'not measured' };
  const cells = r.healthTracking.map((t) => t.cell);
  const isVoid = voidedAny(check, limit, cells);
  if (isVoid) return isVoid;
  const f = resilienceFigures(r);
  if (f.cpuAdded === null) return { check, measured: '–', limit, status: 'n/a', note: r.problems[0] ?? 'not measured' };
  const side = (on: boolean): string => r.healthTracking.filter((t) => t.healthTracking === on).map((t) => num(t.cell.cpuUsPerRequest)).join(' and ');
  const failed = failedCount(cells);
  const note = `on ${num(f.cpuOn)} vs off ${num(f.cpuOff)} µs/req: means of cells measured off, on, off, on (off ${side(false)}; on ${side(true)})${failed > 0 ? `; ${failed} failed requests` : ''}`;
  return { check, measured: `${delta(f.cpuAdded)} µs`, limit, status: pass(f.cpuAdded < LIMITS.healthTrackingUs), note };
}

function fallbackVerdict(d: RunData): Verdict {
  const check = 'Added p50 of a fallback past an open breaker, c=1 (vs the plain model)';
  const limit = `< ${LIMITS.fallbackP50Ms} ms`;
  const r = d.resilience;
  if (r === null) return { check, measured: '–', limit, status: 'n/a', note: 'not measured' };
  if (r.fallback === null) return { check, measured: '–', limit, status: 'n/a', note: r.problems.find((p) => p.startsWith('fallback')) ?? 'not measured' };
  const cells = [r.fallback.plain, r.fallback.fallback];
  const isVoid = voidedAny(check, limit, cells);
  if (isVoid) return isVoid;
  const f = resilienceFigures(r);
  if (f.p50Added === null) return { check, measured: '–', limit, status: 'n/a', note: 'no 2xx answers' };
  const failed = failedCount(cells);
  const note = `p50 ${num(f.p50Fallback)} vs ${num(f.p50Plain)} ms, p99 ${num(f.p99Fallback)} vs ${num(f.p99Plain)} ms; CPU ${num(r.fallback.fallback.cpuUsPerRequest)} vs ${num(r.fallback.plain.cpuUsPerRequest)} µs/req${failed > 0 ? `; ${failed} failed requests` : ''}`;
  return { check, measured: `${delta(f.p50Added)} ms`, limit, status: pass(f.p50Added < LIMITS.fallbackP50Ms), note };
}

export function judgeTargets(d: RunData): Verdict[] {
  const top = d.config.jsonLevels.at(-1) ?? 64;
  return [cpuVerdict(d, top), cpuVerdict(d, 1), latencyVerdict(d), firstByteVerdict(d), rssVerdict(d), errorVerdict(d), swapVerdict(d), healthTrackingVerdict(d, top), fallbackVerdict(d)];
}
