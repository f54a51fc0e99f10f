import type { Pricing } from '../config/schema.ts';
import type { WireFormat } from './wire-format.ts';

/** One place a request can be sent: a provider and the model id it knows. */
export interface Target {
  readonly provider: string;
  /** Upstream model id. */
  readonly model: string;
  readonly format: WireFormat;
  /** Price from the catalogue entry, when it sets one. */
  readonly pricing: Pricing | undefined;
  /** Request parameters to drop instead of refusing when this target cannot honour them (config dropParams). */
  readonly dropParams: ReadonlySet<string>;
  /** Whether the upstream model reasons (thinking / reasoning_effort); undefined: judged from the model id. */
  readonly reasoning: boolean | undefined;
}

/** The routing decision for one request: plain data the executor runs, targets in the order to try. */
export interface Plan {
  readonly modelRequested: string;
  readonly targets: readonly Target[];
  /** How the model was resolved, for /api/routing/test style explanations and logs. */
  readonly reason: 'provider-prefix' | 'catalogue' | 'provider-models' | 'name-prefix';
}
