// Streaming cell: a few warm-up streams, then a bounded number of streamed completions at concurrency c.
import { REQUEST_HEADERS, STREAM_BODY } from './bench-request.ts';
import { measureWindow } from './measure-window.ts';
import { runLoadChild } from './run-load-child.ts';
import type { BenchConfig } from './bench-config.ts';
import type { StreamLoadResult, StreamLoadSpec } from './load-types.ts';
import type { Window } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target, TargetName } from './target.ts';

const MAX_SECONDS = 60; // per load child; a healthy cell needs about (streams / c) × 0.5 s
const STREAM_TIMEOUT_MS = 30_000;

export interface StreamCell {
  target: TargetName;
  c: number;
  window: Window<StreamLoadResult>;
  /** target CPU per streamed response, ms */
  cpuMsPerStream: number | null;
}

function load(target: Target, c: number, requests: number, pinning: Pinning): Promise<StreamLoadResult> {
  const spec: StreamLoadSpec = { url: target.url, concurrency: c, requests, maxSeconds: MAX_SECONDS, timeoutMs: STREAM_TIMEOUT_MS, body: STREAM_BODY, headers: REQUEST_HEADERS };
  return runLoadChild<StreamLoadResult>('stream-load.ts', spec, (MAX_SECONDS + 40) * 1000, pinning);
}

export async function measureStreamCell(target: Target, c: number, config: BenchConfig, pinning: Pinning): Promise<StreamCell> {
  await load(target, c, config.streamWarmup(c), pinning);
  const window = await measureWindow(target.child.pid, pinning, config.noisyCores, () => load(target, c, config.streams(c), pinning));
  const { requests } = window.result;
  return { target: target.name, c, window, cpuMsPerStream: requests > 0 ? (window.cpuS * 1000) / requests : null };
}
