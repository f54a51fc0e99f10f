import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { GatewayError } from '../errors/gateway-error.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import type { ApiKeyRecord, KeyStore, KeyUse, Storage } from '../storage/ports.ts';
import { generateApiKey, hashApiKey } from './api-key.ts';
import { KeyAdmin } from './key-admin.ts';
import { KeyAuthenticator } from './key-authenticator.ts';

const ADMIN_KEY = 'env-admin-key-0123456789';

/** Asserts that `promise` rejects with a GatewayError of this code, with the catalogue's 401 status. */
async function rejectsWith(promise: Promise<unknown>, code: string, status = 401): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, code);
    assert.equal(err.status, status);
    assert.equal(err.retryable, false);
    return true;
  });
}

/** Counts findByPrefix calls so tests can see the cache at work. */
function countingStore(store: KeyStore): { store: KeyStore; lookups: () => number } {
  let lookups = 0;
  return {
    store: { ...store, findByPrefix: (prefix) => { lookups++; return store.findByPrefix(prefix); } },
    lookups: () => lookups,
  };
}

/** Records every touch batch; the first `failures` calls reject, as a store that is briefly down would. */
function recordingStore(store: KeyStore, failures = 0): { store: KeyStore; touches: KeyUse[][] } {
  const touches: KeyUse[][] = [];
  let left = failures;
  return {
    store: {
      ...store,
      touch: async (entries) => {
        touches.push([...entries]);
        if (left-- > 0) throw new Error('store unavailable');
        return store.touch(entries);
      },
    },
    touches,
  };
}

describe('KeyAuthenticator', () => {
  let storage: Storage;
  let admin: KeyAdmin;

  beforeEach(() => {
    storage = createMemoryStorage();
    admin = new KeyAdmin(storage.keys);
  });

  afterEach(async () => {
    mock.timers.reset();
    await storage.close();
  });

  describe('valid keys', () => {
    it('turns an inference key into its principal', async () => {
      const created = await admin.create({ name: 'app', role: 'member', models: ['gpt-4o', 'claude-sonnet-4'] });
      const principal = await new KeyAuthenticator({ store: storage.keys }).authenticate(created.key);
      assert.equal(principal.keyId, created.id);
      assert.equal(principal.role, 'member');
      assert.deepEqual(principal.models, new Set(['gpt-4o', 'claude-sonnet-4']));
      assert.ok(Object.isFrozen(principal));
    });

    it('gives models null to a key allowed every model', async () => {
      const created = await admin.create({ name: 'ops', role: 'admin' });
      const principal = await new KeyAuthenticator({ store: storage.keys }).authenticate(created.key);
      assert.equal(principal.role, 'admin');
      assert.equal(principal.models, null);
    });

    it('accepts the configured admin key without any store record', async () => {
      const principal = await new KeyAuthenticator({ store: storage.keys, adminKey: ADMIN_KEY }).authenticate(ADMIN_KEY);
      assert.deepEqual(principal, { keyId: 'env-admin', kind: 'key', role: 'admin', scopes: new Set(['inference', 'services', 'voice', 'admin:read', 'admin:write']), workspaceId: null, models: null, tier: null, userId: null });
      assert.equal(await storage.keys.count(), 0);
    });

    it('accepts an admin key of any shape, even one shaped like a stored key', async () => {
      const { key } = generateApiKey();
      const auth = new KeyAuthenticator({ store: storage.keys, adminKey: key });
      assert.equal((await auth.authenticate(key)).keyId, 'env-admin');
    });

    it('still accepts stored keys when an admin key is configured', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const principal = await new KeyAuthenticator({ store: storage.keys, adminKey: ADMIN_KEY }).authenticate(created.key);
      assert.equal(principal.keyId, created.id);
    });
  });

  describe('refused keys', () => {
    it('SB_AUTH_MISSING_KEY when no key or an empty key is sent', async () => {
      const auth = new KeyAuthenticator({ store: storage.keys });
      await rejectsWith(auth.authenticate(undefined), 'SB_AUTH_MISSING_KEY');
      await rejectsWith(auth.authenticate(''), 'SB_AUTH_MISSING_KEY');
    });

    it('SB_AUTH_INVALID_KEY for a malformed key', async () => {
      const auth = new KeyAuthenticator({ store: storage.keys, adminKey: ADMIN_KEY });
      for (const bad of ['nope', 'sk-proj-123', 'sb_deadbeef', `${ADMIN_KEY}x`]) {
        await rejectsWith(auth.authenticate(bad), 'SB_AUTH_INVALID_KEY');
      }
    });

    it('SB_AUTH_INVALID_KEY for a well-formed key nobody created', async () => {
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(generateApiKey().key), 'SB_AUTH_INVALID_KEY');
    });

    it('SB_AUTH_INVALID_KEY for the right prefix with a wrong secret', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const forged = `${created.prefix}_${'A'.repeat(43)}`;
      assert.notEqual(forged, created.key);
      const auth = new KeyAuthenticator({ store: storage.keys });
      await rejectsWith(auth.authenticate(forged), 'SB_AUTH_INVALID_KEY');
      // The failed attempt did not poison the cache for the real key.
      assert.equal((await auth.authenticate(created.key)).keyId, created.id);
    });

    it('SB_AUTH_REVOKED_KEY for a revoked key', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      await admin.revoke(created.id);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
    });

    it('SB_AUTH_INVALID_KEY, not REVOKED, for a wrong secret on a revoked prefix', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      await admin.revoke(created.id);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(`${created.prefix}_${'B'.repeat(43)}`), 'SB_AUTH_INVALID_KEY');
    });

    it('SB_AUTH_INVALID_KEY when a stored record holds a different hash', async () => {
      const { key, prefix } = generateApiKey();
      const record: ApiKeyRecord = {
        id: 'k1', prefix, hash: generateApiKey().hash, name: 'x', role: 'admin', models: null, workspaceId: null, scopes: null, expiresAt: null, budgetLimits: null,
        createdAt: new Date().toISOString(), revokedAt: null, lastUsedAt: null,
      };
      await storage.keys.insert(record);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(key), 'SB_AUTH_INVALID_KEY');
    });
  });

  describe('cache', () => {
    it('asks the store once per prefix within the TTL', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const counting = countingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: counting.store, cacheTtlMs: 60_000 });
      for (let i = 0; i < 5; i++) await auth.authenticate(created.key);
      assert.equal(counting.lookups(), 1);
    });

    it('never asks the store for the configured admin key or a malformed key', async () => {
      const counting = countingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: counting.store, adminKey: ADMIN_KEY });
      await auth.authenticate(ADMIN_KEY);
      await rejectsWith(auth.authenticate('malformed'), 'SB_AUTH_INVALID_KEY');
      assert.equal(counting.lookups(), 0);
    });

    it('sees a revocation made directly in the store only after the TTL (750 ms by default, under the 1 s replicas promise)', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys });
      await auth.authenticate(created.key);
      await storage.keys.revoke(created.id, new Date().toISOString());

      mock.timers.tick(749);
      assert.equal((await auth.authenticate(created.key)).keyId, created.id, 'still cached');
      mock.timers.tick(1);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
    });

    it('keeps accepting a key it checked before while the store is down, and refuses unknown ones with 503', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const other = await admin.create({ name: 'other', role: 'member' });
      let down = false;
      const store = { ...storage.keys, findByPrefix: (prefix: string) => (down ? Promise.reject(new Error('ECONNREFUSED')) : storage.keys.findByPrefix(prefix)) };
      const auth = new KeyAuthenticator({ store });
      await auth.authenticate(created.key);
      down = true;
      mock.timers.tick(10_000);
      assert.equal((await auth.authenticate(created.key)).keyId, created.id);
      await assert.rejects(auth.authenticate(other.key), { code: 'SB_AUTH_STORE_UNAVAILABLE', status: 503 });
    });

    it('forgets a key by id at once when the store reports it revoked', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 60_000 });
      await auth.authenticate(created.key);
      await storage.keys.revoke(created.id, new Date().toISOString());
      assert.equal((await auth.authenticate(created.key)).keyId, created.id, 'still cached without a notification');
      auth.forgetId(created.id);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
      assert.deepEqual(auth.cacheKeys().verified, []);
    });

    it('honours a custom TTL', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 50 });
      await auth.authenticate(created.key);
      await storage.keys.revoke(created.id, new Date().toISOString());
      mock.timers.tick(49);
      await auth.authenticate(created.key);
      mock.timers.tick(1);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
    });

    it('sees a revocation at once after forget(prefix)', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const other = await admin.create({ name: 'other', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 60_000 });
      await auth.authenticate(created.key);
      await auth.authenticate(other.key);
      await admin.revoke(created.prefix);
      await admin.revoke(other.prefix);

      auth.forget(created.prefix);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
      assert.equal((await auth.authenticate(other.key)).keyId, other.id, 'only the forgotten prefix is dropped');
    });

    it('caches unknown prefixes too, until the TTL passes', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const { key, prefix, hash } = generateApiKey();
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 1000 });
      await rejectsWith(auth.authenticate(key), 'SB_AUTH_INVALID_KEY');
      await storage.keys.insert({ id: 'late', prefix, hash, name: 'late', role: 'member', models: null, workspaceId: 'default', scopes: null, expiresAt: null, budgetLimits: null, createdAt: new Date().toISOString(), revokedAt: null, lastUsedAt: null });
      await rejectsWith(auth.authenticate(key), 'SB_AUTH_INVALID_KEY');
      mock.timers.tick(1000);
      assert.equal((await auth.authenticate(key)).keyId, 'late');
    });
  });

  describe('cache contents', () => {
    it('holds the SHA-256 of a verified key, never the key itself', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys, adminKey: ADMIN_KEY });
      await auth.authenticate(created.key);
      await auth.authenticate(ADMIN_KEY);
      assert.ok(auth.cached(created.key) !== undefined, 'the fast path still answers');

      const { verified, lookups } = auth.cacheKeys();
      assert.deepEqual(new Set(verified), new Set([hashApiKey(created.key), hashApiKey(ADMIN_KEY)]));
      assert.deepEqual(lookups, [created.prefix]);
      const secret = created.key.slice(created.prefix.length + 1);
      for (const cacheKey of [...verified, ...lookups]) {
        assert.ok(!cacheKey.includes(secret) && !cacheKey.includes(ADMIN_KEY), `${cacheKey} holds a key`);
      }
    });

    it('keeps nothing of a refused key but its public prefix', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const forged = `${created.prefix}_${'C'.repeat(43)}`;
      const auth = new KeyAuthenticator({ store: storage.keys });
      await rejectsWith(auth.authenticate(forged), 'SB_AUTH_INVALID_KEY');
      assert.deepEqual(auth.cacheKeys(), { verified: [], lookups: [created.prefix] });
    });

    it('forget(prefix) drops both entries of that key and no other', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      const other = await admin.create({ name: 'other', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 60_000 });
      await auth.authenticate(created.key);
      await auth.authenticate(other.key);
      auth.forget(created.prefix);
      assert.deepEqual(auth.cacheKeys(), { verified: [hashApiKey(other.key)], lookups: [other.prefix] });
      assert.equal(auth.cached(created.key), undefined);
    });
  });

  describe('cache bound', () => {
    it('never holds more than maxCacheEntries per cache, and keeps the newest entries', async () => {
      const created = [];
      for (let i = 0; i < 5; i++) created.push(await admin.create({ name: `k${i}`, role: 'member' }));
      const counting = countingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: counting.store, cacheTtlMs: 60_000, maxCacheEntries: 3 });
      for (const key of created) {
        await auth.authenticate(key.key);
        const { verified, lookups } = auth.cacheKeys();
        assert.ok(verified.length <= 3 && lookups.length <= 3, `${verified.length} verified, ${lookups.length} look-ups`);
      }
      const newest = created.slice(2);
      assert.deepEqual(auth.cacheKeys(), { verified: newest.map((k) => hashApiKey(k.key)), lookups: newest.map((k) => k.prefix) });

      for (const key of newest) assert.ok(auth.cached(key.key) !== undefined, `${key.name} survived`);
      assert.equal(auth.cached(created[0]!.key), undefined, 'the oldest was evicted');
      assert.equal(counting.lookups(), 5);
      await auth.authenticate(created[0]!.key);
      assert.equal(counting.lookups(), 6, 'an evicted key is looked up again, alone');
      assert.equal(auth.cached(created[3]!.key)?.keyId, created[3]!.id, 'one eviction, not a cleared cache');
    });

    it('bounds the look-ups of made-up keys at 10 000 by default, keeping the newest', async () => {
      const auth = new KeyAuthenticator({ store: storage.keys, cacheTtlMs: 60_000 });
      let last = '';
      for (let i = 0; i < 10_050; i++) {
        const { key, prefix } = generateApiKey();
        await rejectsWith(auth.authenticate(key), 'SB_AUTH_INVALID_KEY');
        last = prefix;
      }
      const { lookups } = auth.cacheKeys();
      assert.equal(lookups.length, 10_000);
      assert.equal(lookups.at(-1), last);
    });

    it('refuses a bound or a touch interval that is not a whole number ≥ 1', () => {
      for (const bad of [0, -1, 1.5, Number.NaN]) {
        assert.throws(() => new KeyAuthenticator({ store: storage.keys, maxCacheEntries: bad }), RangeError);
        assert.throws(() => new KeyAuthenticator({ store: storage.keys, touchIntervalMs: bad }), RangeError);
      }
    });
  });

  describe('last used', () => {
    const T0 = 1_750_000_000_000;

    it('writes lastUsedAt of a key after it was used and flush() ran', async () => {
      mock.timers.enable({ apis: ['Date'], now: T0 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const auth = new KeyAuthenticator({ store: storage.keys });
      await auth.authenticate(created.key);
      assert.equal((await storage.keys.get(created.id))?.lastUsedAt, null, 'not on the request path');
      await auth.flush();
      assert.equal((await storage.keys.get(created.id))?.lastUsedAt, new Date(T0).toISOString());
      assert.equal((await admin.list())[0]?.lastUsedAt, new Date(T0).toISOString(), 'the admin list shows it');
    });

    it('counts a use answered by the synchronous cached() path, and sends one entry per key, the latest', async () => {
      mock.timers.enable({ apis: ['Date'], now: T0 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store, cacheTtlMs: 60_000 });
      await auth.authenticate(created.key);
      mock.timers.tick(500);
      await auth.authenticate(created.key);
      mock.timers.tick(500);
      assert.ok(auth.cached(created.key) !== undefined);
      await auth.flush();
      assert.deepEqual(recording.touches, [[{ id: created.id, at: new Date(T0 + 1000).toISOString() }]]);
      await auth.flush();
      assert.equal(recording.touches.length, 1, 'nothing new, nothing written');
    });

    it('flushes on its own every touchIntervalMs (60 s by default)', async () => {
      mock.timers.enable({ apis: ['Date', 'setInterval'], now: T0 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store });
      await auth.authenticate(created.key);
      mock.timers.tick(59_999);
      assert.equal(recording.touches.length, 0);
      mock.timers.tick(1);
      assert.equal(recording.touches.length, 1);
      await auth.flush();
      assert.equal((await storage.keys.get(created.id))?.lastUsedAt, new Date(T0).toISOString());
    });

    it('honours a custom touchIntervalMs', async () => {
      mock.timers.enable({ apis: ['Date', 'setInterval'], now: T0 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store, touchIntervalMs: 1000 });
      await auth.authenticate(created.key);
      mock.timers.tick(1000);
      assert.equal(recording.touches.length, 1);
    });

    it('close() writes what is pending and stops the timer', async () => {
      mock.timers.enable({ apis: ['Date', 'setInterval'], now: T0 });
      const created = await admin.create({ name: 'app', role: 'member' });
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store });
      await auth.authenticate(created.key);
      await auth.close();
      assert.equal((await storage.keys.get(created.id))?.lastUsedAt, new Date(T0).toISOString());
      await auth.authenticate(created.key);
      mock.timers.tick(120_000);
      assert.equal(recording.touches.length, 1);
    });

    it('close() waits for a flush under way and then writes the uses noted meanwhile', async () => {
      mock.timers.enable({ apis: ['Date'], now: T0 });
      const a = await admin.create({ name: 'a', role: 'member' });
      const b = await admin.create({ name: 'b', role: 'member' });
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store });
      await auth.authenticate(a.key);
      const first = auth.flush();
      await auth.authenticate(b.key);
      await auth.close();
      await first;
      assert.deepEqual(recording.touches.map((batch) => batch.map((use) => use.id)), [[a.id], [b.id]]);
    });

    it('swallows a failing touch and retries the same entries next time, newer uses winning', async () => {
      mock.timers.enable({ apis: ['Date'], now: T0 });
      const a = await admin.create({ name: 'a', role: 'member' });
      const b = await admin.create({ name: 'b', role: 'member' });
      const recording = recordingStore(storage.keys, 1);
      const auth = new KeyAuthenticator({ store: recording.store, cacheTtlMs: 60_000 });
      await auth.authenticate(a.key);
      await auth.authenticate(b.key);
      await auth.flush();
      assert.equal((await storage.keys.get(a.id))?.lastUsedAt, null);
      mock.timers.tick(1000);
      await auth.authenticate(b.key);
      await auth.flush();
      assert.equal(recording.touches.length, 2);
      assert.equal((await storage.keys.get(a.id))?.lastUsedAt, new Date(T0).toISOString());
      assert.equal((await storage.keys.get(b.id))?.lastUsedAt, new Date(T0 + 1000).toISOString());
    });

    it('never touches for the configured admin key or a refused key', async () => {
      const created = await admin.create({ name: 'app', role: 'member' });
      await admin.revoke(created.id);
      const recording = recordingStore(storage.keys);
      const auth = new KeyAuthenticator({ store: recording.store, adminKey: ADMIN_KEY });
      await auth.authenticate(ADMIN_KEY);
      assert.ok(auth.cached(ADMIN_KEY) !== undefined);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
      await rejectsWith(auth.authenticate(generateApiKey().key), 'SB_AUTH_INVALID_KEY');
      await auth.close();
      assert.deepEqual(recording.touches, []);
    });
  });
});
