import type { SseEvent } from '../../upstream/sse-parser.ts';
import type { StreamFailure } from './stream-failure.ts';
import { ZERO_USAGE, type TokenUsage } from './usage.ts';

/**
 * What every stream converter shares (the two translators and the same-format tap): push one upstream event,
 * get the text to write; end() at upstream EOF; usage and how the stream ended, readable at any time.
 */
export abstract class StreamTranslator {
  protected usageSoFar: TokenUsage = { ...ZERO_USAGE };
  protected done = false;
  protected failureSeen: StreamFailure | undefined;

  abstract push(event: SseEvent): string;
  abstract end(): string;

  /** Usage so far; final once finished. */
  get usage(): TokenUsage {
    return { ...this.usageSoFar };
  }

  /** The last event was seen or written (normal end or error); push() and end() add nothing more. */
  get finished(): boolean {
    return this.done;
  }

  get failed(): boolean {
    return this.failureSeen !== undefined;
  }

  get failure(): StreamFailure | undefined {
    return this.failureSeen;
  }
}
