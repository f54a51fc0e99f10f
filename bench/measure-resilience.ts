// Resilience on Switchboard only, after the swap phase: the harness changes the configuration through the
// admin API (as the swap phase does) between cells, and puts it back after.
// 1. What health tracking (circuit breakers and outlier ejection, judged on every attempt) costs per request
//    at the top concurrency: the same cell with resilience.healthTracking off and on, interleaved off, on,
//    off, on, so that the run's drift over that minute (a growing database, a warming heap) lands on both sides.
// 2. What a request that falls back past an open breaker costs at c=1: a model whose own target is a dead
//    provider with its breaker open, so the executor skips it and the fallback answers, against the plain
//    model measured just before in the same configuration.
import { setTimeout as sleep } from 'node:timers/promises';
import { CHAT_BODY, REQUEST_HEADERS, chatBodyFor } from './bench-request.ts';
import { measureJsonCell } from './measure-json.ts';
import { patchConfig } from './patch-config.ts';
import type { BenchConfig } from './bench-config.ts';
import type { JsonCell } from './measure-json.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';

export interface TrackedCell {
  readonly healthTracking: boolean;
  readonly cell: JsonCell;
}

export interface FallbackCells {
  /** gpt-4o-mini straight to the openai provider, measured just before `fallback` in the same configuration. */
  readonly plain: JsonCell;
  /** FALLBACK_MODEL: its own target skipped (breaker open), answered by its fallback. */
  readonly fallback: JsonCell;
  /** Requests sent until an answer showed the dead target skipped. */
  readonly primingRequests: number;
  /** x-switchboard-attempts of the first of them: 2 = the dead target was tried and failed before the fallback answered. */
  readonly firstAttempts: string | null;
}

export interface ResilienceCells {
  /** At the top concurrency, in measuring order; fewer than four when the part broke off. */
  readonly healthTracking: readonly TrackedCell[];
  readonly fallback: FallbackCells | null;
  /** Why a part was not (fully) measured, or the configuration not put back. */
  readonly problems: readonly string[];
}

export const FALLBACK_MODEL = 'bench-fallback';
export const FALLBACK_TARGET = 'openai/gpt-4o-mini';
/** Port 9 (discard) on loopback: nothing listens, so every attempt fails at once with ECONNREFUSED. */
export const DEAD_PROVIDER = { name: 'bench-dead', type: 'openai-compatible', baseUrl: 'http://127.0.0.1:9/v1', retries: 0 } as const;
/** One failure opens the breaker, and it stays open for the rest of the run: no half-open probe lands in a cell. */
export const FALLBACK_BREAKER = { consecutiveFailures: 1, openMs: 3_600_000 } as const;

const FALLBACK_PATCH = {
  providers: [DEAD_PROVIDER],
  models: [{ name: FALLBACK_MODEL, provider: DEAD_PROVIDER.name, model: 'gpt-4o-mini', fallbacks: [FALLBACK_TARGET] }],
  resilience: { breaker: FALLBACK_BREAKER },
};
/**
 * Removes from the admin layer what this phase set there. Before it the layer held none of these sections (the
 * swap phase sets routing and pricing only), so null gives back the environment's: the openai provider from
 * OPENAI_*, no models, the default resilience settings (health tracking on).
 */
const RESTORE_PATCH = { providers: null, models: null, resilience: null };
const MAX_PRIMING = 20;
/** healthTracking of the cells of part 1, in measuring order. */
export const TRACKING_ORDER: readonly boolean[] = [false, true, false, true];

export type CellReport = (label: string, cell: JsonCell) => void;

async function trackingCells(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, out: TrackedCell[], report: CellReport): Promise<void> {
  for (const on of TRACKING_ORDER) {
    await patchConfig(target, { resilience: { healthTracking: on } });
    // measureJsonCell's warm-up runs on the new version before anything is counted
    const cell = await measureJsonCell(target, c, config, pinning, noise);
    out.push({ healthTracking: on, cell });
    report(`health tracking ${on ? 'on' : 'off'}`, cell);
  }
}

/** Sends FALLBACK_MODEL until an answer came from the fallback in one attempt: the breaker is open and the dead target skipped. */
async function primeBreaker(target: Target, body: string): Promise<{ requests: number; firstAttempts: string | null }> {
  let firstAttempts: string | null = null;
  let last = 'none';
  for (let i = 1; i <= MAX_PRIMING; i++) {
    const res = await fetch(target.url, { method: 'POST', headers: REQUEST_HEADERS, body, signal: AbortSignal.timeout(10_000) });
    await res.arrayBuffer();
    const attempts = res.headers.get('x-switchboard-attempts');
    const served = res.headers.get('x-switchboard-target');
    if (i === 1) firstAttempts = attempts;
    if (res.status === 200 && attempts === '1' && served === FALLBACK_TARGET) return { requests: i, firstAttempts };
    last = `HTTP ${res.status}, x-switchboard-attempts ${attempts ?? '–'}, x-switchboard-target ${served ?? '–'}`;
    await sleep(50); // verdicts may reach the breaker after the answer
  }
  throw new Error(`the dead target was still tried after ${MAX_PRIMING} requests (last answer: ${last})`);
}

async function fallbackCells(target: Target, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, report: CellReport): Promise<FallbackCells> {
  await patchConfig(target, FALLBACK_PATCH);
  const body = chatBodyFor(FALLBACK_MODEL);
  const { requests, firstAttempts } = await primeBreaker(target, body);
  const plain = await measureJsonCell(target, 1, config, pinning, noise, CHAT_BODY);
  report('plain model', plain);
  const fallback = await measureJsonCell(target, 1, config, pinning, noise, body);
  report(`${FALLBACK_MODEL} past an open breaker`, fallback);
  return { plain, fallback, primingRequests: requests, firstAttempts };
}

export async function measureResilience(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, report: CellReport): Promise<ResilienceCells> {
  const problems: string[] = [];
  // Each step on its own: a refused change or a broken-off part is a finding for the report, not a harness error.
  const step = async <T>(what: string, work: () => Promise<T>): Promise<T | null> => {
    try {
      return await work();
    } catch (err) {
      problems.push(`${what}: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    }
  };
  const tracked: TrackedCell[] = [];
  await step('health tracking cost', () => trackingCells(target, c, config, pinning, noise, tracked, report));
  await step('putting back resilience.healthTracking: true', () => patchConfig(target, { resilience: { healthTracking: true } }));
  const fallback = await step('fallback past an open breaker', () => fallbackCells(target, config, pinning, noise, report));
  await step('putting back the configuration', () => patchConfig(target, RESTORE_PATCH));
  return { healthTracking: tracked, fallback, problems };
}
