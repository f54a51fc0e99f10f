// Streaming cell: warm-up streams, then a bounded number of streamed completions at concurrency c,
// both in one load child on the same keep-alive connections.
import { REQUEST_HEADERS, STREAM_BODY } from './bench-request.ts';
import { measureWindow } from './measure-window.ts';
import { warmLoad } from './run-load-child.ts';
import type { BenchConfig } from './bench-config.ts';
import type { StreamLoadResult, StreamLoadSpec } from './load-types.ts';
import type { NoisePolicy, Window } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target, TargetName } from './target.ts';

const MAX_SECONDS = 60; // per phase of a load child; a healthy cell needs about (streams / c) × 0.5 s
const STREAM_TIMEOUT_MS = 30_000;

export interface StreamCell {
  target: TargetName;
  c: number;
  window: Window<StreamLoadResult>;
  /** target CPU per streamed response, ms */
  cpuMsPerStream: number | null;
}

export async function measureStreamCell(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy): Promise<StreamCell> {
  const spec: StreamLoadSpec = {
    url: target.url, concurrency: c, warmup: config.streamWarmup(c), requests: config.streams(c),
    maxSeconds: MAX_SECONDS, timeoutMs: STREAM_TIMEOUT_MS, body: STREAM_BODY, headers: REQUEST_HEADERS,
  };
  const timeoutMs = (2 * MAX_SECONDS + 40) * 1000;
  const window = await measureWindow(target.child.pid, pinning, noise, () => warmLoad<StreamLoadResult>('stream-load.ts', spec, timeoutMs, pinning));
  const { requests } = window.result;
  return { target: target.name, c, window, cpuMsPerStream: requests > 0 ? (window.cpuS * 1000) / requests : null };
}
