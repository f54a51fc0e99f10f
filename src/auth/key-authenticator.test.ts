import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { GatewayError } from '../errors/gateway-error.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import type { ApiKeyRecord, KeyStore, Storage } from '../storage/ports.ts';
import { generateApiKey } from './api-key.ts';
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
      const created = await admin.create({ name: 'app', role: 'inference', models: ['gpt-4o', 'claude-sonnet-4'] });
      const principal = await new KeyAuthenticator({ store: storage.keys }).authenticate(created.key);
      assert.equal(principal.keyId, created.id);
      assert.equal(principal.role, 'inference');
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
      assert.deepEqual(principal, { keyId: 'env-admin', role: 'admin', models: null });
      assert.equal(await storage.keys.count(), 0);
    });

    it('accepts an admin key of any shape, even one shaped like a stored key', async () => {
      const { key } = generateApiKey();
      const auth = new KeyAuthenticator({ store: storage.keys, adminKey: key });
      assert.equal((await auth.authenticate(key)).keyId, 'env-admin');
    });

    it('still accepts stored keys when an admin key is configured', async () => {
      const created = await admin.create({ name: 'app', role: 'inference' });
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
      const created = await admin.create({ name: 'app', role: 'inference' });
      const forged = `${created.prefix}_${'A'.repeat(43)}`;
      assert.notEqual(forged, created.key);
      const auth = new KeyAuthenticator({ store: storage.keys });
      await rejectsWith(auth.authenticate(forged), 'SB_AUTH_INVALID_KEY');
      // The failed attempt did not poison the cache for the real key.
      assert.equal((await auth.authenticate(created.key)).keyId, created.id);
    });

    it('SB_AUTH_REVOKED_KEY for a revoked key', async () => {
      const created = await admin.create({ name: 'app', role: 'inference' });
      await admin.revoke(created.id);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
    });

    it('SB_AUTH_INVALID_KEY, not REVOKED, for a wrong secret on a revoked prefix', async () => {
      const created = await admin.create({ name: 'app', role: 'inference' });
      await admin.revoke(created.id);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(`${created.prefix}_${'B'.repeat(43)}`), 'SB_AUTH_INVALID_KEY');
    });

    it('SB_AUTH_INVALID_KEY when a stored record holds a different hash', async () => {
      const { key, prefix } = generateApiKey();
      const record: ApiKeyRecord = {
        id: 'k1', prefix, hash: generateApiKey().hash, name: 'x', role: 'admin', models: null,
        createdAt: new Date().toISOString(), revokedAt: null,
      };
      await storage.keys.insert(record);
      await rejectsWith(new KeyAuthenticator({ store: storage.keys }).authenticate(key), 'SB_AUTH_INVALID_KEY');
    });
  });

  describe('cache', () => {
    it('asks the store once per prefix within the TTL', async () => {
      const created = await admin.create({ name: 'app', role: 'inference' });
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

    it('sees a revocation made directly in the store only after the TTL (2 s by default)', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'inference' });
      const auth = new KeyAuthenticator({ store: storage.keys });
      await auth.authenticate(created.key);
      await storage.keys.revoke(created.id, new Date().toISOString());

      mock.timers.tick(1999);
      assert.equal((await auth.authenticate(created.key)).keyId, created.id, 'still cached');
      mock.timers.tick(1);
      await rejectsWith(auth.authenticate(created.key), 'SB_AUTH_REVOKED_KEY');
    });

    it('honours a custom TTL', async () => {
      mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
      const created = await admin.create({ name: 'app', role: 'inference' });
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
      const created = await admin.create({ name: 'app', role: 'inference' });
      const other = await admin.create({ name: 'other', role: 'inference' });
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
      await storage.keys.insert({ id: 'late', prefix, hash, name: 'late', role: 'inference', models: null, createdAt: new Date().toISOString(), revokedAt: null });
      await rejectsWith(auth.authenticate(key), 'SB_AUTH_INVALID_KEY');
      mock.timers.tick(1000);
      assert.equal((await auth.authenticate(key)).keyId, 'late');
    });
  });
});
