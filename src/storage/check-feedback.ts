import type { Feedback } from '../domain/experiment-stats.ts';
import { toEpochMs } from './to-epoch-ms.ts';

/**
 * What every adapter checks before storing feedback, so all of them refuse the same things: a score that is not a
 * finite number (SQLite would store NaN as NULL, PostgreSQL keep it and poison every sum) and an `at` that is not
 * a time. Answers `at` as epoch milliseconds.
 */
export function checkFeedback(feedback: Feedback): number {
  if (typeof feedback.score !== 'number' || !Number.isFinite(feedback.score)) {
    throw new RangeError(`feedback score must be a finite number: ${JSON.stringify(String(feedback.score))}`);
  }
  return toEpochMs(feedback.at, 'at');
}
