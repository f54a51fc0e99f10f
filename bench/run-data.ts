// Everything one run measured, as plain data: built by chat.ts, read by the verdicts and the report.
import type { BenchConfig } from './bench-config.ts';
import type { JsonCell } from './measure-json.ts';
import type { ResilienceCells } from './measure-resilience.ts';
import type { RoutingCells } from './measure-routing.ts';
import type { LimitsCells } from './measure-limits.ts';
import type { UsageCells } from './measure-usage.ts';
import type { ResponsesCells } from './measure-responses.ts';
import type { SwapCell } from './measure-swaps.ts';
import type { StreamCell } from './measure-stream.ts';
import type { Pinning } from './pinning.ts';
import type { TargetName } from './target.ts';

export interface RunData {
  stamp: string;
  config: BenchConfig;
  pinning: Pinning;
  /** report lines about machine and software */
  environment: string[];
  switchboard: {
    available: boolean;
    /** why it was not measured (or stopped being measured) */
    reason: string | null;
    /** facts checked after the load: metrics endpoint, usage data written */
    notes: string[];
  };
  idleRssMb: Partial<Record<TargetName, number>>;
  jsonCells: JsonCell[];
  streamCells: StreamCell[];
  /** Switchboard under load while its configuration changes every 100 ms; null when not measured. */
  swapCell: SwapCell | null;
  /** Switchboard with health tracking off and on, and falling back past an open breaker; null when not measured. */
  resilience: ResilienceCells | null;
  /** One routing decision with 100 rules, and /v1 chat with rules loaded against none; null when not measured. */
  routing: RoutingCells | null;
  /** /v1 chat with a workspace's key, limits and a budget off and on, memory and Redis; null when not measured. */
  limits: LimitsCells | null;
  /** /v1 chat with the usage journal on (the main instance) and off, and the pipeline's own figures; null when not measured. */
  usage: UsageCells | null;
  /** POST /v1/responses translated to chat against /v1/chat/completions on one instance; null when not measured. */
  responses: ResponsesCells | null;
  wallS: number;
  /** seconds spent waiting for other processes to go quiet before cells */
  quietWaitedS: number;
}
