// SIGTERM on a real process: in-flight streams finish, new connections are refused, usage is flushed to
// SQLite, and the process exits 0.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import { createSqliteStorage } from '../../src/storage/sqlite/sqlite-storage.ts';
import { ADMIN_KEY, startGateway } from '../support/start-gateway.ts';

const ADMIN = 'sb-shutdown-test-admin-key';
const ROOT = join(import.meta.dirname, '..', '..');

describe('graceful shutdown', () => {
  it('lets an in-flight stream finish, flushes usage and exits 0', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'sb-shutdown-'));
    const child = spawn(process.execPath, ['src/cli/main.ts', 'serve'], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, HTTP_PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', SWITCHBOARD_DATA_DIR: dataDir, SWITCHBOARD_ADMIN_KEY: ADMIN, LOG_LEVEL: 'warn' },
    });
    try {
      let out = '';
      child.stdout.on('data', (c: Buffer) => { out += c.toString(); });
      child.stderr.on('data', (c: Buffer) => { out += c.toString(); });
      const port = await waitFor(() => /listening on http:\/\/[^:]+:(\d+)/.exec(out)?.[1], 20_000, () => out);
      const url = `http://127.0.0.1:${port}`;

      const streamDone = new Promise<{ body: string; requestId: string }>((resolve, reject) => {
        const req = httpRequest(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }, (res) => {
          let body = '';
          res.on('data', (c: Buffer) => {
            if (body === '') child.kill('SIGTERM'); // first bytes arrived: stop the server now
            body += c.toString();
          });
          res.on('end', () => resolve({ body, requestId: String(res.headers['x-request-id']) }));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end(JSON.stringify({ model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'tell me a slow story' }] }));
      });
      const { body, requestId } = await streamDone;
      assert.match(body, /data: \[DONE\]/, 'the stream ran to its end after SIGTERM');

      const [code] = await once(child, 'exit') as [number | null];
      assert.equal(code, 0, out);
      await assert.rejects(fetch(`${url}/health`), 'no longer accepting connections');

      const storage = createSqliteStorage({ path: join(dataDir, 'switchboard.db') });
      await storage.migrate();
      const records = await storage.usage.list({ requestId });
      await storage.close();
      assert.deepEqual(records.map((r) => [r.kind, r.outcome]).sort(), [['attempt', 'ok'], ['request', 'ok']]);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('shutdown grace period over', () => {
  it('cuts a stream that outlives the grace period and still writes its usage records', async () => {
    // The store outlives the gateway here so the test can read what the shutdown wrote.
    const memory = createMemoryStorage();
    const gw = await startGateway({ config: { server: { shutdownGraceMs: 300 } }, storage: { ...memory, close: async () => undefined } });
    const requestId = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' } }, (res) => {
        res.on('data', () => undefined);
        res.on('error', () => undefined);
        res.on('close', () => undefined);
        resolve(String(res.headers['x-request-id']));
      });
      req.on('error', () => undefined);
      req.once('error', reject);
      req.end(JSON.stringify({ model: 'mock-slow', stream: true, messages: [{ role: 'user', content: 'one two three four five six seven eight nine ten eleven twelve' }] }));
    });
    await new Promise((r) => setTimeout(r, 150));
    await gw.close();
    assert.equal(gw.gateway.deps.usage.pending, 0, 'nothing left unwritten');
    const records = await memory.usage.list({ requestId });
    assert.deepEqual(records.map((r) => [r.kind, r.outcome]).sort(), [['attempt', 'client_aborted'], ['request', 'client_aborted']]);
  });
});

async function waitFor<T>(probe: () => T | undefined, timeoutMs: number, context: () => string): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`timed out; output so far:\n${context()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
