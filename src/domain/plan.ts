import type { Pricing } from '../config/schema.ts';
import type { WireFormat } from './wire-format.ts';
import type { EndpointRef } from './endpoint-ref.ts';

/** One place a request can be sent: a provider and the model id it knows. */
export interface Target {
  readonly provider: string;
  /** Upstream model id. */
  readonly model: string;
  /** The model id put in the upstream body: `model`, behind proxy.modelPrefix in proxy mode. */
  readonly wireModel: string;
  readonly format: WireFormat;
  /** Price from the catalogue entry, when it sets one. */
  readonly pricing: Pricing | undefined;
  /** Request parameters to drop instead of refusing when this target cannot honour them (config dropParams). */
  readonly dropParams: ReadonlySet<string>;
  /** Whether the upstream model reasons (thinking / reasoning_effort); undefined: judged from the model id. */
  readonly reasoning: boolean | undefined;
  /** "provider/model", the x-switchboard-target answer header. */
  readonly label: string;
  /** The id of the model this target serves (x-switchboard-model): models[].id, or the name it was resolved from. */
  readonly modelKey: string;
  /** Tokens the model takes (models[].contextWindow); undefined: not known, never a context-length fallback. */
  readonly contextWindow: number | undefined;
  /** Retries of a failed attempt on this target before falling back (providers[].retries or resilience.retries). */
  readonly retries: number;
  /** Default request parameters of its registered model (wire names), set where the caller sets none. */
  readonly defaults?: Readonly<Record<string, number | string | boolean>> | undefined;
  /** The endpoint its health is tracked as: one per provider (one base URL, one connection pool). */
  readonly endpoint: EndpointRef;
}

/** The routing decision for one request: plain data the executor runs, targets in the order to try. */
export interface Plan {
  readonly modelRequested: string;
  readonly targets: readonly Target[];
  /** How the model was resolved, for /api/routing/test style explanations and logs. */
  readonly reason: 'provider-prefix' | 'catalogue' | 'provider-models' | 'name-prefix';
}
