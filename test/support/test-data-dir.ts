import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';

/** A fresh data directory (the last-known-good copies live there), removed when the test file ends. */
export function testDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-test-data-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
