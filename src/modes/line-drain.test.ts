import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { drainLines } from './line-drain.ts';

async function linesOf(chunks: readonly string[], maxChars: number): Promise<string[]> {
  const stream = new PassThrough();
  const lines: string[] = [];
  drainLines(stream, (line) => lines.push(line), maxChars);
  for (const chunk of chunks) stream.write(chunk);
  stream.end();
  await once(stream, 'end');
  return lines;
}

describe('drainLines', () => {
  it('splits lines across chunks, drops CR, and passes on a last line without a break', async () => {
    assert.deepEqual(await linesOf(['one\ntw', 'o\r\nthr', 'ee\n\nlast'], 100), ['one', 'two', 'three', '', 'last']);
  });

  it('cuts a long line and drops the rest of it, so memory stays bounded', async () => {
    const lines = await linesOf(['x'.repeat(8), 'y'.repeat(8), 'z'.repeat(8), '\nnext\n', 'a'.repeat(20), '\n'], 10);
    assert.deepEqual(lines, [`${'x'.repeat(8)}yy …[cut]`, 'next', `${'a'.repeat(10)} …[cut]`]);
  });
});
