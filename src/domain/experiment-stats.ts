/**
 * What the usage store keeps and answers for A/B experiments (plain data): feedback scores per request, and per
 * variant the counts, sums and sums of squares from which means, variances and significance tests follow
 * (src/routing/significance.ts).
 */

/** A score given to one request of an experiment (a thumbs up as 1, a rating, a grader's mark…). */
export interface Feedback {
  readonly experimentId: string;
  /** The x-request-id of the request scored. */
  readonly requestId: string;
  /** A finite number; its scale is the experiment's. */
  readonly score: number;
  readonly comment: string | null;
  /** ISO-8601 time the feedback was given. */
  readonly at: string;
}

/** One variant's aggregates over the experiment's request records (kind "request"). */
export interface VariantStats {
  readonly variant: string;
  readonly requests: number;
  /** outcome "ok" (the caller got an answer). */
  readonly successes: number;
  readonly latencySum: number;
  readonly latencySumSq: number;
  readonly costSum: number;
  readonly costSumSq: number;
  /** input + output + cached input tokens. */
  readonly tokensSum: number;
  readonly tokensSumSq: number;
  /** Feedback joined by request id on this variant's request records (feedback for requests not (yet) recorded is not counted). */
  readonly feedbackCount: number;
  readonly feedbackSum: number;
  readonly feedbackSumSq: number;
}
