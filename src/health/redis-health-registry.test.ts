// The Redis registry when Redis is not there, or goes away: the hot path never waits or throws, decisions fall
// back to the local copies, and close() is prompt. The shared behaviour is in test/contract/health-registry*.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { startTcpProxy } from '../../test/support/tcp-proxy.ts';
import { until } from '../../test/support/until.ts';
import type { HealthSettings, HealthTransition } from './health-registry.ts';
import { RedisHealthRegistry } from './redis-health-registry.ts';

const REDIS_PORT = Number(new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379').port || 6379);

const SETTINGS: HealthSettings = {
  breaker: { consecutiveFailures: 3, errorRate: 0.5, minRequests: 10, windowMs: 10_000, openMs: 5_000, halfOpenRequests: 1 },
  ejection: { consecutiveFailures: 1000, baseEjectionMs: 1_000, maxEjectionMs: 2_500, maxEjectionPercent: 50 },
  latencyAlpha: 0.3,
};
const A = { id: 'provider:a', pool: 'providers' };

interface LogLine { level: number; msg: string }

function capturedLogger(): { logger: pino.Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n')) if (l !== '') lines.push(JSON.parse(l) as LogLine);
      done();
    },
  });
  return { logger: pino({ level: 'info' }, sink), lines };
}

const warnings = (lines: LogLine[]): string[] => lines.filter((l) => l.level === 40).map((l) => l.msg);
const infos = (lines: LogLine[]): string[] => lines.filter((l) => l.level === 30).map((l) => l.msg);

/** A port nothing listens on: taken from the OS, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 1;
}

/** Accepts connections and never answers: a Redis that hangs. */
async function silentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => { sockets.add(s); s.on('close', () => sockets.delete(s)); });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address !== null ? address.port : 1,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

const PREFIX = `sbtest:down:${randomBytes(6).toString('hex')}:`;

function registryAt(port: number, logger: pino.Logger, now = { t: 1_000_000 }): RedisHealthRegistry {
  return new RedisHealthRegistry({
    url: `redis://127.0.0.1:${port}`, keyPrefix: PREFIX, commandTimeoutMs: 200, connectTimeoutMs: 200,
    settings: SETTINGS, clock: () => now.t, logger, flushIntervalMs: 5, refreshIntervalMs: 100,
  });
}

/** The breaker on local state alone: opens after consecutive failures, emits the transition here. */
function assertLocalBreaker(registry: RedisHealthRegistry): void {
  const seen: HealthTransition[] = [];
  registry.onTransition((t) => seen.push(t));
  assert.equal(registry.admit(A), true);
  for (let i = 0; i < 3; i++) registry.report(A, 'failure', 10);
  assert.equal(registry.admit(A), false);
  assert.equal(registry.status(A).breaker, 'open');
  assert.deepEqual(seen.map((t) => `${t.from}->${t.to}`), ['closed->open']);
}

/** A TCP forwarder to Redis whose answers can be held back by `delayMs`, standing in for a Redis that is slow. */
async function startSlowProxy(targetPort: number): Promise<{ port: number; delayMs: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    let last = 0;
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    client.pipe(upstream);
    // Answers keep their order: each one waits for the one before it.
    upstream.on('data', (chunk: Buffer) => {
      last = Math.max(last, performance.now() + proxy.delayMs);
      setTimeout(() => { if (!client.destroyed) client.write(chunk); }, last - performance.now());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = {
    port: (server.address() as AddressInfo).port,
    delayMs: 0,
    close: () => new Promise<void>((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
  return proxy;
}

async function deleteKeys(prefix: string): Promise<void> {
  const admin = new Redis(`redis://127.0.0.1:${REDIS_PORT}`, { maxRetriesPerRequest: 1 });
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  if (keys.length > 0) await admin.del(...keys);
  await admin.quit();
}

describe('RedisHealthRegistry without Redis', () => {
  it('decides locally when nothing listens, logs one warning and closes at once', async () => {
    const { logger, lines } = capturedLogger();
    const now = { t: 1_000_000 };
    const registry = registryAt(await closedPort(), logger, now);
    try {
      assert.equal(registry.connected, false);
      assert.equal(await registry.waitUntilConnected(300), false);
      assertLocalBreaker(registry);
      // Alone, the replica runs its own probes, and its half-open slots.
      assert.equal(await registry.claimProbe(A, 1_000), true);
      now.t += SETTINGS.breaker.openMs;
      assert.equal(registry.admit(A), true);
      assert.equal(registry.admit(A), false);
      registry.report(A, 'success', 10);
      assert.equal(registry.status(A).breaker, 'closed');
      await registry.flush();
      // Reconnect attempts go on in the background: still one warning.
      assert.deepEqual(warnings(lines), ['health: cannot reach Redis; deciding from local circuit state until it is reachable']);
    } finally {
      const started = performance.now();
      await registry.close();
      assert.ok(performance.now() - started < 200, 'close() is prompt');
    }
  });

  it('does not wait on a Redis that accepts connections and never answers', async () => {
    const server = await silentServer();
    const { logger } = capturedLogger();
    const registry = registryAt(server.port, logger);
    try {
      const started = performance.now();
      for (let i = 0; i < 1000; i++) {
        registry.admit(A);
        registry.report(A, 'success', 10);
      }
      assert.ok(performance.now() - started < 200, 'the hot path does not wait');
      assert.equal(await registry.claimProbe(A, 1_000), true);
      for (let i = 0; i < 3; i++) registry.report(A, 'failure', 10);
      assert.equal(registry.admit(A), false);
      await registry.flush();
    } finally {
      const started = performance.now();
      await registry.close();
      assert.ok(performance.now() - started < 200, 'close() is prompt');
      await server.close();
    }
  });

  it('falls back to local state when Redis goes, and re-reads shared state without writing back when it returns', async () => {
    const proxy = await startTcpProxy(REDIS_PORT);
    const { logger, lines } = capturedLogger();
    const registry = registryAt(proxy.port, logger);
    const direct = registryAt(REDIS_PORT, capturedLogger().logger);
    try {
      assert.equal(await registry.waitUntilConnected(2_000), true);
      assert.equal(await direct.waitUntilConnected(2_000), true);
      assert.equal(registry.admit(A), true);
      assert.equal(direct.admit(A), true);
      await registry.flush();

      proxy.cut();
      await until(() => !registry.connected, 'the registry to notice Redis went');
      assert.deepEqual(warnings(lines), ['health: lost Redis; deciding from local circuit state until it is back']);
      assertLocalBreaker(registry);
      await registry.flush();

      proxy.restore();
      await until(() => registry.connected, 'the registry to reconnect', 5_000);
      assert.deepEqual(infos(lines), ['health: Redis is reachable again; circuit state is shared again']);
      assert.equal(warnings(lines).length, 1);
      // The failures seen while alone were never shared and are not pushed now: the shared circuit wins.
      await until(() => registry.status(A).breaker === 'closed', 'the local copy to follow the shared state again');
      await direct.flush();
      assert.equal(direct.status(A).breaker, 'closed');
      assert.equal(direct.admit(A), true);
      // Shared again: failures here now reach the other replica.
      for (let i = 0; i < 3; i++) registry.report(A, 'failure', 10);
      await until(() => !direct.admit(A), 'the other replica to see the breaker open', 2_000);
    } finally {
      await Promise.all([registry.close(), direct.close()]);
      await proxy.close();
      await deleteKeys(PREFIX);
    }
  });

  it('decides locally while a connected Redis is too slow, and shares again once it answers in time', async () => {
    const proxy = await startSlowProxy(REDIS_PORT);
    const { logger, lines } = capturedLogger();
    const registry = registryAt(proxy.port, logger);
    try {
      assert.equal(await registry.waitUntilConnected(2_000), true);
      registry.admit(A);
      await registry.flush();
      proxy.delayMs = 400; // commandTimeoutMs is 200
      registry.report(A, 'success', 10);
      const started = performance.now();
      for (let i = 0; i < 100; i++) registry.admit(A);
      assert.ok(performance.now() - started < 50, 'the hot path does not wait');
      await until(() => !registry.connected, 'three timeouts in a row to count as Redis gone', 3_000);
      assert.deepEqual(warnings(lines), ['health: Redis does not answer in time; deciding from local circuit state until it does']);
      assertLocalBreaker(registry);
      proxy.delayMs = 0;
      await until(() => registry.connected, 'a ping at a refresh to bring it back', 3_000);
      assert.deepEqual(infos(lines), ['health: Redis is reachable again; circuit state is shared again']);
      // Nothing decided while alone is written back: the shared circuit (closed) wins again.
      await until(() => registry.status(A).breaker === 'closed', 'the local copy to follow the shared state');
    } finally {
      await registry.close();
      await proxy.close();
      await deleteKeys(PREFIX);
    }
  });
});
