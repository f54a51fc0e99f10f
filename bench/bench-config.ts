// Settings of one run, read once from the environment.

export interface BenchConfig {
  quick: boolean;
  /** seconds per measured non-streaming cell */
  durationS: number;
  /** seconds of load before each measured cell (not counted) */
  warmupS: number;
  jsonLevels: number[];
  streamLevels: number[];
  /** streamed requests per measured streaming cell at concurrency c */
  streams: (c: number) => number;
  /** streamed requests before each streaming cell (not counted) */
  streamWarmup: (c: number) => number;
  readyTimeoutMs: number;
  /** a cell whose foreign CPU use exceeded this many cores is measured again, once … */
  noisyCores: number;
  /** … but at most this many cells per run, so a busy machine cannot stretch the run much */
  maxRetries: number;
  /** seconds per run the harness may wait, before cells, for other processes to go quiet */
  quietWaitS: number;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): BenchConfig {
  const quick = env.BENCH_QUICK === '1';
  const duration = Number(env.BENCH_DURATION ?? 8);
  if (!Number.isFinite(duration) || duration <= 0 || duration > 120) throw new Error(`BENCH_DURATION must be in (0, 120] seconds, got "${env.BENCH_DURATION}"`);
  return {
    quick,
    durationS: quick ? 1 : duration,
    warmupS: quick ? 0.25 : 2,
    jsonLevels: [1, 64],
    streamLevels: [1, 16],
    streams: (c) => (quick ? Math.max(3, c) : Math.max(30, 4 * c)),
    streamWarmup: (c) => (quick ? 1 : Math.max(3, c)),
    readyTimeoutMs: 30_000,
    noisyCores: quick ? Infinity : 0.1,
    maxRetries: quick ? 0 : 2,
    quietWaitS: quick ? 0 : 20,
  };
}
