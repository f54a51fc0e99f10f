import type { ExperimentConfig } from '../config/routing-schemas.ts';
import type { VariantStats } from '../domain/experiment-stats.ts';
import {
  sampleSizeForMeans, sampleSizeForProportions, summarize, twoProportionZTest, verdict, welchTTest, type Verdict,
} from '../routing/significance.ts';

export type ExperimentMetric = ExperimentConfig['primaryMetric'];

export interface VariantResult {
  readonly name: string;
  readonly modelId: string;
  readonly allocation: number;
  readonly requests: number;
  /** Share of requests answered (outcome ok); null before the first request. */
  readonly successRate: number | null;
  /** sd: sample standard deviation; null below two requests. */
  readonly latencyMs: { readonly mean: number | null; readonly sd: number | null };
  readonly costUsd: { readonly mean: number | null; readonly total: number };
  readonly tokens: { readonly mean: number | null };
  readonly feedback: { readonly count: number; readonly mean: number | null };
}

/** One variant against the control (the first variant) on the experiment's primary metric. */
export interface VariantComparison {
  readonly variant: string;
  readonly control: string;
  readonly metric: ExperimentMetric;
  readonly test: 'two-proportion-z' | 'welch-t';
  /** variant − control, in the metric's unit (a rate for success_rate). */
  readonly difference: number;
  readonly pValue: number;
  /** Of the difference, at the experiment's confidence; null for an unbounded end (too little data). */
  readonly confidenceInterval: readonly [number | null, number | null];
  /** Requests (feedback scores for feedback) each arm needs to detect minimumEffect at power 0.8; null when unknown. */
  readonly minimumSampleSize: number | null;
  /** b_better: the variant beats the control; a_better: the control beats it. */
  readonly verdict: Verdict;
}

export interface ExperimentResults {
  readonly experimentId: string;
  readonly primaryMetric: ExperimentMetric;
  readonly confidence: number;
  readonly minimumEffect: number;
  readonly variants: readonly VariantResult[];
  readonly comparisons: readonly VariantComparison[];
  /** The variant the verdicts name: the best significant challenger, else the control when it beats every one; else null. */
  readonly winner: string | null;
}

const POWER = 0.8;
const HIGHER_IS_BETTER: Readonly<Record<ExperimentMetric, boolean>> = { success_rate: true, feedback: true, latency: false, cost: false, tokens: false };

type Experiment = Pick<ExperimentConfig, 'variants' | 'primaryMetric' | 'minimumEffect' | 'confidence'> & { readonly id: string };

const EMPTY: Omit<VariantStats, 'variant'> = {
  requests: 0, successes: 0, latencySum: 0, latencySumSq: 0, costSum: 0, costSumSq: 0, tokensSum: 0, tokensSumSq: 0, feedbackCount: 0, feedbackSum: 0, feedbackSumSq: 0,
};

/**
 * An experiment's results from the usage store's per-variant aggregates: each variant's figures, and each other
 * variant tested against the first (the control) on the primary metric — a two-proportion z-test for the success
 * rate, Welch's t-test for latency, cost, tokens and feedback — with the sample size the test needs and a verdict.
 */
export function experimentResults(experiment: Experiment, stats: readonly VariantStats[]): ExperimentResults {
  const byName = new Map(stats.map((s) => [s.variant, s]));
  const arms = experiment.variants.map((v) => ({ v, s: { variant: v.name, ...EMPTY, ...byName.get(v.name) } }));
  const variants = arms.map(({ v, s }): VariantResult => {
    const latency = summarize(s.latencySum, s.latencySumSq, s.requests);
    return {
      name: v.name, modelId: v.modelId, allocation: v.allocation, requests: s.requests,
      successRate: s.requests === 0 ? null : s.successes / s.requests,
      latencyMs: { mean: s.requests === 0 ? null : latency.mean, sd: s.requests < 2 ? null : Math.sqrt(latency.variance) },
      costUsd: { mean: s.requests === 0 ? null : s.costSum / s.requests, total: s.costSum },
      tokens: { mean: s.requests === 0 ? null : s.tokensSum / s.requests },
      feedback: { count: s.feedbackCount, mean: s.feedbackCount === 0 ? null : s.feedbackSum / s.feedbackCount },
    };
  });
  const [control, ...others] = arms;
  const comparisons = control === undefined ? [] : others.map(({ s }) => compare(experiment, control.s, s));
  return {
    experimentId: experiment.id, primaryMetric: experiment.primaryMetric, confidence: experiment.confidence, minimumEffect: experiment.minimumEffect,
    variants, comparisons, winner: winnerOf(experiment, control?.v.name, comparisons),
  };
}

function compare(experiment: Experiment, a: VariantStats, b: VariantStats): VariantComparison {
  const { primaryMetric: metric, confidence, minimumEffect } = experiment;
  const alpha = 1 - confidence;
  const higherIsBetter = HIGHER_IS_BETTER[metric];
  if (metric === 'success_rate') {
    const result = twoProportionZTest({ successesA: a.successes, trialsA: a.requests, successesB: b.successes, trialsB: b.requests, confidence });
    const baseline = a.requests > 0 ? a.successes / a.requests : 0.5;
    const minimumSampleSize = proportionSampleSize(baseline, minimumEffect, alpha);
    return {
      variant: b.variant, control: a.variant, metric, test: result.test, difference: result.difference, pValue: result.pValue,
      confidenceInterval: bounded(result.confidenceInterval), minimumSampleSize,
      verdict: verdict({ result, sampleSizeA: a.requests, sampleSizeB: b.requests, minimumSampleSize: minimumSampleSize ?? 2, higherIsBetter }),
    };
  }
  const [sa, sb] = [sumsOf(metric, a), sumsOf(metric, b)];
  const A = summarize(sa.sum, sa.sumSq, sa.count);
  const B = summarize(sb.sum, sb.sumSq, sb.count);
  const result = welchTTest({ meanA: A.mean, varianceA: A.variance, countA: sa.count, meanB: B.mean, varianceB: B.variance, countB: sb.count, confidence });
  const sd = Math.sqrt((A.variance + B.variance) / 2);
  const minimumSampleSize = sd > 0 ? sampleSizeForMeans({ standardDeviation: sd, minimumEffect, alpha, power: POWER }) : null;
  return {
    variant: b.variant, control: a.variant, metric, test: result.test, difference: result.difference, pValue: result.pValue,
    confidenceInterval: bounded(result.confidenceInterval), minimumSampleSize,
    verdict: verdict({ result, sampleSizeA: sa.count, sampleSizeB: sb.count, minimumSampleSize: minimumSampleSize ?? 2, higherIsBetter }),
  };
}

function sumsOf(metric: Exclude<ExperimentMetric, 'success_rate'>, s: VariantStats): { sum: number; sumSq: number; count: number } {
  switch (metric) {
    case 'latency': return { sum: s.latencySum, sumSq: s.latencySumSq, count: s.requests };
    case 'cost': return { sum: s.costSum, sumSq: s.costSumSq, count: s.requests };
    case 'tokens': return { sum: s.tokensSum, sumSq: s.tokensSumSq, count: s.requests };
    case 'feedback': return { sum: s.feedbackSum, sumSq: s.feedbackSumSq, count: s.feedbackCount };
  }
}

/** The effect detected upwards, or downwards where the rate has no room above; null when neither fits in [0, 1]. */
function proportionSampleSize(baselineRate: number, minimumEffect: number, alpha: number): number | null {
  for (const effect of [minimumEffect, -minimumEffect]) {
    const p2 = baselineRate + effect;
    if (p2 >= 0 && p2 <= 1) return sampleSizeForProportions({ baselineRate, minimumEffect: effect, alpha, power: POWER });
  }
  return null;
}

function bounded([low, high]: readonly [number, number]): readonly [number | null, number | null] {
  return [Number.isFinite(low) ? low : null, Number.isFinite(high) ? high : null];
}

function winnerOf(experiment: Experiment, control: string | undefined, comparisons: readonly VariantComparison[]): string | null {
  const better = comparisons.filter((c) => c.verdict === 'b_better');
  if (better.length > 0) {
    const sign = HIGHER_IS_BETTER[experiment.primaryMetric] ? 1 : -1;
    return better.reduce((best, c) => (sign * c.difference > sign * best.difference ? c : best)).variant;
  }
  if (control !== undefined && comparisons.length > 0 && comparisons.every((c) => c.verdict === 'a_better')) return control;
  return null;
}
