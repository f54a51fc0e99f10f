import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { connect, createServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { LimitCheck, Ticket } from '../../src/limits/limiter.ts';
import { MemoryLimiter } from '../../src/limits/memory-limiter.ts';
import { LimiterStoreError, RedisLimiter } from '../../src/limits/redis-limiter.ts';
import { runLimiterContract, type MakeLimiter } from './limiter.contract.ts';
import { dropRedisPrefix } from '../support/drop-redis-prefix.ts';

const START = 1_800_000_000_000;

function testRedis(): Redis {
  return new Redis({ host: '127.0.0.1', port: 6379, commandTimeout: 500, maxRetriesPerRequest: 1 });
}


/** Every limiter adapter; the Redis one runs against the machine's real Redis on its own key prefix. */
const ADAPTERS: ReadonlyArray<readonly [name: string, make: MakeLimiter]> = [
  ['memory', async () => {
    let now = START;
    return { limiter: new MemoryLimiter(() => now), advance: (ms) => { now += ms; }, now: () => now, close: async () => {} };
  }],
  ['redis', async () => {
    let now = START;
    const redis = testRedis();
    const keyPrefix = `sb-test-limiter-${process.pid}-${randomUUID()}:`;
    return {
      limiter: new RedisLimiter({ redis, keyPrefix, now: () => now }),
      advance: (ms) => { now += ms; },
      now: () => now,
      close: async () => {
        await dropRedisPrefix(redis, keyPrefix);
        await redis.quit();
      },
    };
  }],
];

for (const [name, make] of ADAPTERS) runLimiterContract(name, make);

// Redis only: what the contract cannot see from outside (key layout, script fallback, failures), and a
// differential run against the memory adapter, whose answers are the spec.
describe('RedisLimiter', () => {
  const prefix = () => `sb-test-limiter-${process.pid}-${randomUUID()}:`;

  it('puts every key of a request under one hash tag, braces of the tag escaped', async () => {
    const redis = testRedis();
    const keyPrefix = prefix();
    try {
      const limiter = new RedisLimiter({ redis, keyPrefix, now: () => START });
      const checks: LimitCheck[] = [
        { key: 'rpm', kind: 'window', limit: 5, windowMs: 60_000, amount: 1 },
        { key: 'conc', kind: 'concurrency', limit: 5, windowMs: 60_000, amount: 1 },
        { key: 'budget', kind: 'counter', limit: 5, windowMs: 0, resetAt: START + 1000, amount: 1 },
      ];
      const a = await limiter.admit({ tag: 'a{b}%c', id: 'r1', checks });
      assert.equal(a.ok, true);
      const keys = (await redis.keys(`${keyPrefix}*`)).sort();
      const base = `${keyPrefix}{a%7Bb%7D%25c}:`;
      assert.deepEqual(keys, [`${base}budget`, `${base}conc`, `${base}rpm:amt`, `${base}rpm:log`, `${base}rpm:sum`]);
      for (const key of keys) {
        assert.equal(key.split('{').length, 2, 'one opening brace');
        assert.equal(key.split('}').length, 2, 'one closing brace');
        assert.ok(await redis.pttl(key) > 0, `${key} expires`);
      }
      // An empty tag must not be `{}`, which Redis Cluster ignores (each key would hash on its own).
      await limiter.admit({ tag: '', id: 'r2', checks: [checks[0]!] });
      assert.ok((await redis.keys(`${keyPrefix}{%}:*`)).length > 0);
    } finally {
      await dropRedisPrefix(redis, keyPrefix);
      await redis.quit();
    }
  });

  // The adapter sends EVALSHA and, on NOSCRIPT, the script's text with EVAL. Flushing the server's scripts would
  // touch state other tests share, so a proxy makes the first EVALSHA name a script the server does not have.
  it('falls back to EVAL when Redis has lost the script', async () => {
    const seen: string[] = [];
    let injected = false;
    const proxy = createServer((client) => {
      const upstream = connect(6379, '127.0.0.1');
      upstream.on('data', (d) => client.write(d));
      client.on('data', (d: Buffer) => {
        const text = d.toString('latin1').toLowerCase();
        const name = /^\*\d+\r\n\$\d+\r\n([a-z]+)\r\n/.exec(text)?.[1];
        if (name !== undefined) seen.push(name);
        if (name === 'evalsha' && !injected) {
          // The script's SHA replaced by one Redis cannot know: the server itself answers NOSCRIPT, in order with
          // the replies to whatever else the client had sent.
          injected = true;
          upstream.write(Buffer.from(d.toString('latin1').replace(/\b[0-9a-f]{40}\b/, '0'.repeat(40)), 'latin1'));
          return;
        }
        upstream.write(d);
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('error', () => undefined);
      upstream.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const port = (proxy.address() as AddressInfo).port;
    const redis = new Redis({ host: '127.0.0.1', port, commandTimeout: 500, maxRetriesPerRequest: 1 });
    const keyPrefix = prefix();
    try {
      const limiter = new RedisLimiter({ redis, keyPrefix, now: () => START });
      const check: LimitCheck = { key: 'rpm', kind: 'window', limit: 5, windowMs: 60_000, amount: 1 };
      for (let i = 1; i <= 3; i++) {
        const a = await limiter.admit({ tag: 't', id: `r${i}`, checks: [check] });
        assert.equal(a.ok, true);
        assert.equal(a.states[0]?.remaining, 5 - i);
      }
      const scripts = seen.filter((s) => s === 'eval' || s === 'evalsha');
      // EVALSHA (NOSCRIPT injected), EVAL with the text, then EVALSHA again: the script is known from then on.
      assert.deepEqual(scripts, ['evalsha', 'eval', 'evalsha', 'evalsha']);
    } finally {
      await dropRedisPrefix(redis, keyPrefix);
      await redis.quit();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
    }
  });

  it('gives back a hold settled in the very batch that took it', async () => {
    const redis = testRedis();
    const keyPrefix = prefix();
    try {
      const limiter = new RedisLimiter({ redis, keyPrefix, now: () => START });
      const cap: LimitCheck = { key: 'conc', kind: 'concurrency', limit: 1, windowMs: 60_000, amount: 1 };
      // The first call goes at once; these three gather behind it and go as one batch, in this order.
      const first = limiter.admit({ tag: 't', id: 'r0', checks: [{ ...cap, key: 'other' }] });
      const taken = limiter.admit({ tag: 't', id: 'r1', checks: [cap] });
      const given = limiter.settle({ tag: 't', id: 'r1', checks: [cap], at: START }, {});
      const next = limiter.admit({ tag: 't', id: 'r2', checks: [cap] });
      assert.equal((await first).ok, true);
      assert.equal((await taken).ok, true);
      await given;
      assert.equal((await next).ok, true, 'the hold of r1 was given back before r2 asked');
      assert.equal((await limiter.admit({ tag: 't', id: 'r3', checks: [cap] })).ok, false, 'r2 holds the only slot');
      assert.deepEqual(await redis.zrange(`${keyPrefix}{t}:conc`, '0', '-1'), ['r2']);
    } finally {
      await dropRedisPrefix(redis, keyPrefix);
      await redis.quit();
    }
  });

  it('rejects admit with a Redis error and never rejects settle, warning once', async () => {
    // Nothing listens on port 1; no offline queue and no reconnects, so every command fails at once.
    const redis = new Redis({ host: '127.0.0.1', port: 1, commandTimeout: 200, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null, lazyConnect: true });
    redis.on('error', () => undefined);
    const warnings: string[] = [];
    const limiter = new RedisLimiter({ redis, keyPrefix: prefix(), logger: { warn: (_obj, msg) => warnings.push(msg) } });
    const check: LimitCheck = { key: 'rpm', kind: 'window', limit: 5, windowMs: 60_000, amount: 1 };
    await assert.rejects(limiter.admit({ tag: 't', id: 'r1', checks: [check] }), (err: Error) => {
      assert.ok(err instanceof LimiterStoreError);
      assert.match(err.message, /Redis failed/);
      return true;
    });
    const ticket = { tag: 't', id: 'r1', checks: [check], at: Date.now() };
    await limiter.settle(ticket, { rpm: 2 });
    await limiter.settle(ticket, { rpm: 3 });
    assert.equal(warnings.length, 1);
    redis.disconnect();
  });

  it('answers exactly as the memory adapter over a random run', async () => {
    const redis = testRedis();
    const keyPrefix = prefix();
    let now = START;
    const memory = new MemoryLimiter(() => now);
    const shared = new RedisLimiter({ redis, keyPrefix, now: () => now });
    // A small deterministic PRNG (mulberry32): the run is the same every time, failures reproduce.
    let seed = 0x5eed;
    const rand = (): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    const pick = (n: number): number => Math.floor(rand() * n);
    let period = START + 5_000;
    const tickets: Ticket[] = [];
    const outcomes = { admitted: 0, refused: new Set<string>(), settled: 0, grouped: 0 };
    // Now and then several operations go to Redis at once, without waiting (one batch, or two: the first goes
    // alone, the rest gather behind it); the memory adapter takes them one by one in the same order.
    let group: Array<{ readonly what: string; readonly shared: Promise<unknown>; readonly expected: unknown }> = [];
    let groupLeft = 0;
    const settleGroup = async (): Promise<void> => {
      for (const g of group) assert.deepEqual(await g.shared, g.expected, g.what);
      outcomes.grouped += group.length;
      group = [];
      groupLeft = 0;
    };
    const compare = async (what: string, shared: Promise<unknown>, expected: unknown): Promise<void> => {
      if (groupLeft > 0) {
        group.push({ what, shared, expected });
        if (--groupLeft === 0) await settleGroup();
      } else {
        assert.deepEqual(await shared, expected, what);
      }
    };
    try {
      for (let step = 0; step < 900; step++) {
        if (groupLeft === 0 && rand() < 0.1) groupLeft = 2 + pick(7);
        const op = rand();
        if (op < 0.25) {
          await settleGroup();
          now += pick(400);
          if (now >= period && rand() < 0.5) period += 5_000;
          continue;
        }
        const checks: LimitCheck[] = [];
        if (rand() < 0.8) checks.push({ key: 'rpm', kind: 'window', limit: 8, windowMs: 2_000, amount: 1 });
        if (rand() < 0.6) checks.push({ key: 'tpm', kind: 'window', limit: 100, windowMs: 3_000, amount: pick(40) });
        // Above LOG_MAX_LIMIT: counted in slots of 50 ms.
        if (rand() < 0.4) checks.push({ key: 'wide', kind: 'window', limit: 1500, windowMs: 3_000, amount: pick(400), unit: 'tokens' });
        if (rand() < 0.4) checks.push({ key: 'conc', kind: 'concurrency', limit: 3, windowMs: 1_500, amount: 1 });
        if (rand() < 0.5) checks.push({ key: 'budget', kind: 'counter', limit: 500, windowMs: 0, resetAt: period, amount: pick(120) });
        const tag = rand() < 0.8 ? 'ws-1' : 'ws-2';
        if (op < 0.35 && tickets.length > 0) {
          const ticket = tickets.splice(pick(tickets.length), 1)[0]!;
          const actual: Record<string, number> = {};
          for (const c of ticket.checks) if (c.kind !== 'concurrency' && rand() < 0.7) actual[c.key] = pick(Math.max(1, c.amount * 2));
          await memory.settle(ticket, actual);
          await compare(`settle at step ${step}`, shared.settle(ticket, actual), undefined);
          outcomes.settled++;
          continue;
        }
        if (op < 0.45) {
          const expected = await memory.peek(tag, checks);
          await compare(`peek at step ${step}`, shared.peek(tag, checks), expected);
          continue;
        }
        const request = { tag, id: `r${step}`, checks };
        const expected = await memory.admit(request);
        await compare(`admit at step ${step}`, shared.admit(request), expected);
        if (expected.ok) {
          tickets.push(expected.ticket);
          outcomes.admitted++;
        } else {
          outcomes.refused.add(expected.refusedBy.key);
        }
      }
      await settleGroup();
      // The run is only worth something if it admitted, settled, and was refused by every kind of limit.
      assert.ok(outcomes.admitted > 50 && outcomes.settled > 20 && outcomes.grouped > 100, JSON.stringify({ ...outcomes, refused: [...outcomes.refused] }));
      assert.deepEqual([...outcomes.refused].sort(), ['budget', 'conc', 'rpm', 'tpm', 'wide']);
    } finally {
      await dropRedisPrefix(redis, keyPrefix);
      await redis.quit();
    }
  });
});
