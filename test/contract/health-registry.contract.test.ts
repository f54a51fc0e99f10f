import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import pino from 'pino';
import { MemoryHealthRegistry } from '../../src/health/memory-health-registry.ts';
import { RedisHealthRegistry } from '../../src/health/redis-health-registry.ts';
import { runHealthRegistryContract } from './health-registry.contract.ts';
import { dropRedisPrefix } from '../support/drop-redis-prefix.ts';

/** The machine's real Redis; every test gets its own key prefix (so its own keys and change channel). */
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const RUN_PREFIX = `sbtest:${randomBytes(6).toString('hex')}:`;
let tests = 0;

after(async () => {
  const admin = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  await admin.connect();
  await dropRedisPrefix(admin, RUN_PREFIX);
  await admin.quit();
});

runHealthRegistryContract('memory', async (clock, settings) => {
  const registry = new MemoryHealthRegistry({ settings, clock });
  return { registry, settle: async () => undefined, cleanup: () => registry.close() };
});

runHealthRegistryContract('redis', async (clock, settings) => {
  const options = {
    url: REDIS_URL, keyPrefix: `${RUN_PREFIX}${++tests}:`, commandTimeoutMs: 1_000, connectTimeoutMs: 1_000, settings, clock,
    logger: pino({ level: 'silent' }), flushIntervalMs: 5, refreshIntervalMs: 250,
  };
  const registry = new RedisHealthRegistry(options);
  const second = new RedisHealthRegistry(options);
  assert.equal(await registry.waitUntilConnected(2_000), true, `Redis at ${REDIS_URL}`);
  assert.equal(await second.waitUntilConnected(2_000), true, `Redis at ${REDIS_URL}`);
  return {
    registry,
    second,
    // Both write what they have, then both read back what the other wrote.
    settle: async () => {
      await registry.flush();
      await second.flush();
      await registry.flush();
    },
    cleanup: async () => { await Promise.all([registry.close(), second.close()]); },
  };
});
