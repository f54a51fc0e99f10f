// Non-streaming cell: warm-up, then a closed-loop autocannon run of `durationS` at concurrency c.
import { CHAT_BODY, REQUEST_HEADERS } from './bench-request.ts';
import { measureWindow } from './measure-window.ts';
import { warmLoad } from './run-load-child.ts';
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

/** `body` defaults to the request every target gets (the resilience phase sends another model), `headers` to the admin key's (the limits phase sends a workspace's key). */
export async function measureJsonCell(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, body: string = CHAT_BODY, headers: Record<string, string> = REQUEST_HEADERS): Promise<JsonCell> {
  const spec: JsonLoadSpec = { url: target.url, connections: c, warmupS: config.warmupS, durationS: config.durationS, body, headers };
  const timeoutMs = (config.warmupS + config.durationS + 40) * 1000;
  const window = await measureWindow(target.child.pid, pinning, noise, () => warmLoad<JsonLoadResult>('json-load.ts', spec, timeoutMs, pinning));
  const { responses, durationS } = window.result;
  return {
    target: target.name,
    c,
    window,
    cpuUsPerRequest: responses > 0 ? (window.cpuS * 1e6) / responses : null,
    requestsPerS: durationS > 0 ? responses / durationS : 0,
  };
}
