import type { Readable } from 'node:stream';

/** Longest line passed on; the rest of a longer one is dropped, so a sidecar cannot make us buffer without bound. */
export const MAX_LINE_CHARS = 4096;

/**
 * Reads `stream` to its end and hands each line (without its line break) to `onLine`, cut to `maxChars`. The
 * stream is always consumed, so a chatty child never blocks on a full pipe.
 */
export function drainLines(stream: Readable, onLine: (line: string) => void, maxChars: number = MAX_LINE_CHARS): void {
  let partial = '';
  let overflowed = false;
  const emit = (line: string): void => {
    const text = line.endsWith('\r') ? line.slice(0, -1) : line;
    onLine(text.length > maxChars ? `${text.slice(0, maxChars)} …[cut]` : text);
  };
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    let start = 0;
    for (let nl = chunk.indexOf('\n'); nl !== -1; nl = chunk.indexOf('\n', start)) {
      if (!overflowed) emit(partial + chunk.slice(start, nl));
      partial = '';
      overflowed = false;
      start = nl + 1;
    }
    if (overflowed) return;
    partial += chunk.slice(start);
    if (partial.length > maxChars) {
      emit(partial);
      partial = '';
      overflowed = true;
    }
  });
  stream.on('end', () => {
    if (partial !== '' && !overflowed) emit(partial);
  });
  // A pipe error only ends the logging; the child's exit is watched elsewhere.
  stream.on('error', () => undefined);
}
