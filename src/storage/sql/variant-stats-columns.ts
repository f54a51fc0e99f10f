/** How a row of the variant statistics query maps to VariantStats, the same in every SQL adapter. */
import type { VariantStats } from '../../domain/experiment-stats.ts';
import { readNumber, readText } from './read-column.ts';
import type { Row } from './read-column.ts';

/** Reads the columns each adapter's GROUP BY query names (counts as integers, sums as floats). */
export function rowToVariantStats(row: Row): VariantStats {
  return {
    variant: readText(row, 'variant'),
    requests: readNumber(row, 'requests'),
    successes: readNumber(row, 'successes'),
    latencySum: readNumber(row, 'latency_sum'),
    latencySumSq: readNumber(row, 'latency_sum_sq'),
    costSum: readNumber(row, 'cost_sum'),
    costSumSq: readNumber(row, 'cost_sum_sq'),
    tokensSum: readNumber(row, 'tokens_sum'),
    tokensSumSq: readNumber(row, 'tokens_sum_sq'),
    feedbackCount: readNumber(row, 'feedback_count'),
    feedbackSum: readNumber(row, 'feedback_sum'),
    feedbackSumSq: readNumber(row, 'feedback_sum_sq'),
  };
}
