// A process that appends to a journal until it is killed: the SIGKILL test of src/usage/journal/journal.test.ts.
// Appends records "record <seq>" as fast as it can; after each flush it prints the highest sequence number that
// is in the file, which the test may rely on surviving the kill.
import { Journal } from '../../src/usage/journal/journal.ts';

const dir = process.argv[2];
if (dir === undefined) throw new Error('usage: journal-writer.ts <dir>');
const journal = await Journal.open({ dir, commitIntervalMs: 5, segmentBytes: 64 * 1024 });
for (;;) {
  let last = 0;
  for (let i = 0; i < 200; i++) last = journal.append(Buffer.from(`record ${journal.stats.nextSeq}`)) ?? last;
  await journal.flush();
  process.stdout.write(`${last}\n`);
}
