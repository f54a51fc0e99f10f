// The usage journal on a real process: a gateway killed with SIGKILL 150 ms after its last answer loses no usage
// record; the next start writes what the store did not have yet.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startGatewayProcess } from '../support/gateway-process.ts';

const ADMIN = 'sb-journal-test-admin-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'switchboard-journal-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function chat(base: string): Promise<number> {
  const res = await fetch(`${base}/v1/chat/completions`, {
    method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock', messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.arrayBuffer();
  return res.status;
}

async function requestRecords(base: string): Promise<Set<string>> {
  const res = await fetch(`${base}/api/usage?limit=1000`, { headers: { authorization: `Bearer ${ADMIN}` } });
  const body = await res.json() as { data: Array<{ kind: string; requestId: string }> };
  return new Set(body.data.filter((r) => r.kind === 'request').map((r) => r.requestId));
}

describe('usage journal', () => {
  it('loses no record of a gateway killed 150 ms after its last answer', async () => {
    // The store is written rarely (a minute, 5,000 records a batch): at the kill, no record is in it yet, and
    // only the journal has them.
    const file = join(dir, 'switchboard.yaml');
    writeFileSync(file, 'usage:\n  flushIntervalMs: 60000\n  batchSize: 5000\n  journal:\n    enabled: true\n');
    const env = { SWITCHBOARD_ADMIN_KEY: ADMIN, SWITCHBOARD_DATA_DIR: join(dir, 'data'), SWITCHBOARD_CONFIG: file };
    const first = await startGatewayProcess(env);
    let statuses: number[];
    try {
      // 495 requests, 33 at a time.
      statuses = [];
      for (let i = 0; i < 15; i++) statuses.push(...await Promise.all(Array.from({ length: 33 }, () => chat(first.url))));
      await sleep(150);
    } finally {
      first.child.kill('SIGKILL');
      await new Promise((resolve) => first.child.once('exit', resolve));
    }
    assert.ok(statuses.every((s) => s === 200));
    const second = await startGatewayProcess(env);
    try {
      let seen = new Set<string>();
      for (let i = 0; i < 50 && seen.size < 495; i++) {
        seen = await requestRecords(second.url);
        if (seen.size < 495) await sleep(100);
      }
      assert.equal(seen.size, 495, 'every request of the killed process has its record');
      // The second process's own requests are recorded as usual.
      assert.equal(await chat(second.url), 200);
    } finally {
      await second.stop();
    }
  });
});
