import type { ErrorCode } from '../errors/catalogue.ts';
import type { Plan } from '../domain/plan.ts';
import type { RouteTags } from '../domain/route-tags.ts';

/** The steps of a decision, in the order the engine takes them. */
export type DecisionStep =
  | 'override' | 'experiment' | 'rule' | 'requested' | 'agent-preference'
  | 'resolve' | 'status' | 'key' | 'workspace' | 'compliance' | 'capabilities' | 'endpoints' | 'performance' | 'order';

/** Where a candidate model came from. */
export type CandidateSource = 'override' | 'experiment' | 'rule' | 'requested' | 'agent-preferred' | 'model-fallback' | 'agent-fallback';

export interface StepNote {
  readonly step: DecisionStep;
  /** What the step found, in words ("rule creative-claude matched (priority 100)"). */
  readonly result: string;
  /** Per rule or experiment looked at: matched or the condition that did not. */
  readonly checked?: ReadonlyArray<{ readonly id: string; readonly priority?: number; readonly matched: boolean; readonly why?: string }>;
}

export interface EndpointNote {
  /** The provider the endpoint is called as ("openai", "gpt-4-turbo@e1"). */
  readonly endpoint: string;
  /** "provider/model" (x-switchboard-target). */
  readonly target: string;
  readonly type: 'primary' | 'secondary';
  readonly weight: number;
  readonly kept: boolean;
  readonly reason: string;
  /** From the health registry: null when health tracking is off or nothing is known yet. */
  readonly available: boolean | null;
  readonly latencyMs: number | null;
  readonly successRate: number | null;
}

export interface CandidateNote {
  readonly model: string;
  readonly source: CandidateSource;
  readonly kept: boolean;
  /** The step that dropped it, or "order" for a kept one. */
  readonly step: DecisionStep;
  readonly reason: string;
  readonly endpoints: readonly EndpointNote[];
}

/** Why the plan is what it is: every step, and every candidate kept or dropped with the step and the reason. */
export interface Explanation {
  readonly steps: readonly StepNote[];
  readonly candidates: readonly CandidateNote[];
}

/** Nothing can serve the request: the error to answer with. */
export interface DecisionFailure {
  readonly code: ErrorCode;
  readonly message: string;
}

/** The engine's answer: plain data. `plan.targets` is empty exactly when `failure` is set. */
export interface Decision {
  readonly plan: Plan;
  /** The chosen model's id (x-switchboard-model names the one that served, which a fallback may change). */
  readonly model: string | null;
  readonly tags: RouteTags;
  readonly overrideId: string | null;
  readonly failure: DecisionFailure | undefined;
  /** Only when asked for (POST /api/routing/test): building it costs what the hot path must not pay. */
  readonly explanation: Explanation | undefined;
}
