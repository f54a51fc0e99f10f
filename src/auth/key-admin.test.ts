import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../errors/gateway-error.ts';
import { createMemoryStorage } from '../storage/memory/memory-storage.ts';
import type { Storage } from '../storage/ports.ts';
import { hashApiKey, keyPrefix } from './api-key.ts';
import { KeyAdmin } from './key-admin.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('KeyAdmin', () => {
  let storage: Storage;
  let admin: KeyAdmin;

  beforeEach(() => {
    storage = createMemoryStorage();
    admin = new KeyAdmin(storage.keys);
  });

  afterEach(() => storage.close());

  describe('create', () => {
    it('returns the key once, with its public fields, and no hash', async () => {
      const before = Date.now();
      const created = await admin.create({ name: 'billing service', role: 'member', models: ['gpt-4o', 'mock'] });
      assert.deepEqual(Object.keys(created).sort(), ['budgetLimits', 'createdAt', 'expiresAt', 'id', 'key', 'lastUsedAt', 'models', 'name', 'prefix', 'revokedAt', 'role', 'scopes', 'workspaceId']);
      assert.equal(created.workspaceId, 'default');
      assert.equal(created.scopes, null);
      assert.equal(created.expiresAt, null);
      assert.equal(created.budgetLimits, null);
      assert.match(created.id, UUID);
      assert.equal(keyPrefix(created.key), created.prefix);
      assert.equal(created.name, 'billing service');
      assert.equal(created.role, 'member');
      assert.deepEqual(created.models, ['gpt-4o', 'mock']);
      assert.equal(created.revokedAt, null);
      assert.equal(created.lastUsedAt, null);
      assert.ok(Date.parse(created.createdAt) >= before - 1);
    });

    it('stores only the hash of the key', async () => {
      const created = await admin.create({ name: 'x', role: 'admin' });
      const stored = await storage.keys.get(created.id);
      assert.equal(stored?.hash, hashApiKey(created.key));
      assert.ok(!JSON.stringify(stored).includes(created.key));
    });

    it('stores null models for "every model", whether models is left out or null', async () => {
      const left = await admin.create({ name: 'a', role: 'member' });
      const nulled = await admin.create({ name: 'b', role: 'member', models: null });
      assert.equal(left.models, null);
      assert.equal(nulled.models, null);
      assert.equal((await storage.keys.get(left.id))?.models, null);
    });

    it('copies the models list so later changes to the input do not reach the store', async () => {
      const models = ['a'];
      const created = await admin.create({ name: 'x', role: 'member', models });
      models.push('b');
      assert.deepEqual((await storage.keys.get(created.id))?.models, ['a']);
    });

    it('makes a distinct key, id and prefix every time', async () => {
      const a = await admin.create({ name: 'a', role: 'member' });
      const b = await admin.create({ name: 'a', role: 'member' });
      assert.notEqual(a.key, b.key);
      assert.notEqual(a.id, b.id);
      assert.notEqual(a.prefix, b.prefix);
    });
  });

  describe('list', () => {
    it('lists every key, newest first, without hashes or secrets', async () => {
      const first = await admin.create({ name: 'first', role: 'admin' });
      const second = await admin.create({ name: 'second', role: 'member', models: ['m'] });
      const list = await admin.list();
      assert.deepEqual(list.map((k) => k.id), [second.id, first.id]);
      for (const view of list) {
        assert.equal('hash' in view, false);
        assert.equal('key' in view, false);
      }
      const { key: _key, ...secondView } = second;
      assert.deepEqual(list[0], secondView);
    });

    it('shows when each key was last used, null for a key never used', async () => {
      const used = await admin.create({ name: 'used', role: 'member' });
      const idle = await admin.create({ name: 'idle', role: 'member' });
      await storage.keys.touch([{ id: used.id, at: '2025-06-01T10:00:00.000Z' }]);
      const byName = new Map((await admin.list()).map((view) => [view.name, view.lastUsedAt]));
      assert.deepEqual(byName, new Map([['idle', null], ['used', '2025-06-01T10:00:00.000Z']]));
      assert.equal(idle.lastUsedAt, null);
    });

    it('is empty for an empty store', async () => {
      assert.deepEqual(await admin.list(), []);
    });
  });

  describe('revoke', () => {
    it('revokes by id and returns the revoked key without its hash', async () => {
      const created = await admin.create({ name: 'x', role: 'member' });
      const revoked = await admin.revoke(created.id);
      assert.equal(revoked.id, created.id);
      assert.equal(revoked.prefix, created.prefix);
      assert.equal(typeof revoked.revokedAt, 'string');
      assert.ok(!Number.isNaN(Date.parse(revoked.revokedAt ?? '')));
      assert.equal('hash' in revoked, false);
      assert.equal((await storage.keys.get(created.id))?.revokedAt, revoked.revokedAt);
    });

    it('revokes by public prefix', async () => {
      const created = await admin.create({ name: 'x', role: 'member' });
      const other = await admin.create({ name: 'y', role: 'member' });
      const revoked = await admin.revoke(created.prefix);
      assert.equal(revoked.id, created.id);
      assert.equal((await storage.keys.get(other.id))?.revokedAt, null, 'other keys stay active');
    });

    it('keeps the first revocation time when revoked twice', async () => {
      const created = await admin.create({ name: 'x', role: 'member' });
      const first = await admin.revoke(created.id);
      await new Promise((resolve) => setTimeout(resolve, 5));
      const second = await admin.revoke(created.prefix);
      assert.equal(second.revokedAt, first.revokedAt);
    });

    it('throws SB_KEY_NOT_FOUND (404, param "id") for an unknown id or prefix', async () => {
      await admin.create({ name: 'x', role: 'member' });
      for (const unknown of ['00000000-0000-0000-0000-000000000000', 'sb_00000000', 'whatever']) {
        await assert.rejects(admin.revoke(unknown), (err: unknown) => {
          assert.ok(err instanceof GatewayError);
          assert.equal(err.code, 'SB_KEY_NOT_FOUND');
          assert.equal(err.status, 404);
          assert.equal(err.param, 'id');
          return true;
        });
      }
    });

    it('does not find a key by its full secret', async () => {
      const created = await admin.create({ name: 'x', role: 'member' });
      await assert.rejects(admin.revoke(created.key), { code: 'SB_KEY_NOT_FOUND' });
    });
  });
});
