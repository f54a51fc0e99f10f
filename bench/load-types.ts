// Plain data passed between the harness and its load children (argv in, one JSON line out).

export interface JsonLoadSpec {
  url: string;
  connections: number;
  /** seconds of unrecorded load; then the child prints {"warm":true} and waits for a line on stdin */
  warmupS: number;
  durationS: number;
  body: string;
  headers: Record<string, string>;
}

export interface JsonLoadResult {
  durationS: number;
  responses: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  bytesPerResponse: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
}

export interface StreamLoadSpec {
  url: string;
  concurrency: number;
  /** streams before the measured ones (same handshake as JsonLoadSpec.warmupS) */
  warmup: number;
  requests: number;
  maxSeconds: number;
  timeoutMs: number;
  body: string;
  headers: Record<string, string>;
}

export interface StreamLoadResult {
  requests: number;
  ok: number;
  errors: number;
  errorSample: string | null;
  wallMs: number;
  headP50: number | null;
  firstP50: number | null;
  firstP99: number | null;
  totalP50: number | null;
  totalP99: number | null;
  eventsMin: number | null;
  eventsMax: number | null;
}
