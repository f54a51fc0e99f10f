// Streaming cell: warm-up streams, then a bounded number of streamed completions at concurrency c.
// Warm-up and measurement run in the same load child, on the same keep-alive connections: a fresh
// client would open c new connections inside the measured window and inflate first-byte times.
import { REQUEST_HEADERS, STREAM_BODY } from './bench-request.ts';
import { measureWindow } from './measure-window.ts';
import { startLoadChild } from './run-load-child.ts';
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

async function prepareLoad(target: Target, c: number, config: BenchConfig, pinning: Pinning): Promise<() => Promise<StreamLoadResult>> {
  const spec: StreamLoadSpec = {
    url: target.url, concurrency: c, warmup: config.streamWarmup(c), requests: config.streams(c),
    maxSeconds: MAX_SECONDS, timeoutMs: STREAM_TIMEOUT_MS, body: STREAM_BODY, headers: REQUEST_HEADERS,
  };
  const run = startLoadChild<StreamLoadResult>('stream-load.ts', spec, (2 * MAX_SECONDS + 40) * 1000, pinning);
  await Promise.race([run.child.firstJsonLine((MAX_SECONDS + 20) * 1000), run.result]); // {"warm":true}, or its failure
  return () => {
    run.child.process.stdin?.write('go\n');
    return run.result;
  };
}

export async function measureStreamCell(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy): Promise<StreamCell> {
  const window = await measureWindow(target.child.pid, pinning, noise, () => prepareLoad(target, c, config, pinning));
  const { requests } = window.result;
  return { target: target.name, c, window, cpuMsPerStream: requests > 0 ? (window.cpuS * 1000) / requests : null };
}
