// Non-streaming cell: warm-up, then a closed-loop autocannon run of `durationS` at concurrency c.
import { CHAT_BODY, REQUEST_HEADERS } from './bench-request.ts';
import { measureWindow } from './measure-window.ts';
import { runLoadChild } from './run-load-child.ts';
import type { BenchConfig } from './bench-config.ts';
import type { JsonLoadResult, JsonLoadSpec } from './load-types.ts';
import type { NoisePolicy, Window } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target, TargetName } from './target.ts';

export interface JsonCell {
  target: TargetName;
  c: number;
  window: Window<JsonLoadResult>;
  /** target CPU per completed response, µs */
  cpuUsPerRequest: number | null;
  requestsPerS: number;
}

function load(target: Target, c: number, durationS: number, pinning: Pinning): Promise<JsonLoadResult> {
  const spec: JsonLoadSpec = { url: target.url, connections: c, durationS, body: CHAT_BODY, headers: REQUEST_HEADERS };
  return runLoadChild<JsonLoadResult>('json-load.ts', spec, (durationS + 40) * 1000, pinning);
}

export async function measureJsonCell(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy): Promise<JsonCell> {
  // A separate warm-up child: autocannon opens its c connections in well under 1 % of a cell.
  const prepare = async (): Promise<() => Promise<JsonLoadResult>> => {
    await load(target, c, config.warmupS, pinning);
    return () => load(target, c, config.durationS, pinning);
  };
  const window = await measureWindow(target.child.pid, pinning, noise, prepare);
  const { responses, durationS } = window.result;
  return {
    target: target.name,
    c,
    window,
    cpuUsPerRequest: responses > 0 ? (window.cpuS * 1e6) / responses : null,
    requestsPerS: durationS > 0 ? responses / durationS : 0,
  };
}
