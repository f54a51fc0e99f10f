import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKeyRecord } from '../../src/storage/ports.ts';
import { makeApiKeyRecord } from '../support/api-key-record-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** The KeyStore port's semantics; every storage adapter runs this suite (test/contract/storage.contract.test.ts). */
export function runKeyStoreContract(name: string, make: MakeStorage): void {
  describe(`KeyStore contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const keys = () => storage().keys;

    describe('insert and get', () => {
      it('returns the inserted record by id', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        assert.deepEqual(await keys().get(record.id), record);
      });

      it('round-trips a model list, the admin role and a revocation time', async () => {
        const record = makeApiKeyRecord({ role: 'admin', models: ['gpt-4o', 'claude-sonnet'], revokedAt: '2025-02-01T00:00:00.000Z' });
        await keys().insert(record);
        assert.deepEqual(await keys().get(record.id), record);
      });

      it('round-trips a workspace, scopes, an expiry and a budget', async () => {
        const record = makeApiKeyRecord({
          workspaceId: 'acme', scopes: ['inference', 'admin:read'], expiresAt: '2030-01-01T00:00:00.000Z', budgetLimits: { daily: 5, total: 100, enforcement: 'soft' },
        });
        await keys().insert(record);
        assert.deepEqual(await keys().get(record.id), record);
        const global = makeApiKeyRecord({ role: 'admin', workspaceId: null });
        await keys().insert(global);
        assert.equal((await keys().get(global.id))?.workspaceId, null);
      });

      it('keeps an empty model list apart from null (no models vs every model)', async () => {
        const record = makeApiKeyRecord({ models: [] });
        await keys().insert(record);
        assert.deepEqual((await keys().get(record.id))?.models, []);
      });

      it('answers undefined for an unknown id', async () => {
        await keys().insert(makeApiKeyRecord());
        assert.equal(await keys().get('no-such-id'), undefined);
      });

      it('rejects a duplicate id and keeps the first record', async () => {
        const first = makeApiKeyRecord();
        await keys().insert(first);
        await assert.rejects(keys().insert(makeApiKeyRecord({ id: first.id })));
        assert.deepEqual(await keys().get(first.id), first);
        assert.equal(await keys().count(), 1);
      });

      it('rejects a duplicate prefix and keeps the first record', async () => {
        const first = makeApiKeyRecord();
        await keys().insert(first);
        await assert.rejects(keys().insert(makeApiKeyRecord({ prefix: first.prefix })));
        assert.deepEqual(await keys().findByPrefix(first.prefix), first);
        assert.equal(await keys().count(), 1);
      });

      it('rejects a createdAt that is not a time', async () => {
        await assert.rejects(keys().insert(makeApiKeyRecord({ createdAt: 'yesterday' })));
        assert.equal(await keys().count(), 0);
      });

      it('round-trips a last-used time, and rejects one that is not a time', async () => {
        const record = makeApiKeyRecord({ lastUsedAt: '2025-02-01T12:00:00.000Z' });
        await keys().insert(record);
        assert.deepEqual(await keys().get(record.id), record);
        await assert.rejects(keys().insert(makeApiKeyRecord({ lastUsedAt: 'recently' })));
        assert.equal(await keys().count(), 1);
      });
    });

    describe('findByPrefix', () => {
      it('finds the record by its exact prefix', async () => {
        const record = makeApiKeyRecord({ prefix: 'sb_a1b2c3d4' });
        await keys().insert(makeApiKeyRecord());
        await keys().insert(record);
        assert.deepEqual(await keys().findByPrefix('sb_a1b2c3d4'), record);
      });

      it('answers undefined for an unknown or partial prefix', async () => {
        await keys().insert(makeApiKeyRecord({ prefix: 'sb_a1b2c3d4' }));
        assert.equal(await keys().findByPrefix('sb_ffffffff'), undefined);
        assert.equal(await keys().findByPrefix('sb_a1b2'), undefined);
        assert.equal(await keys().findByPrefix('sb_%'), undefined);
      });
    });

    describe('list', () => {
      it('is empty on a new store', async () => {
        assert.deepEqual(await keys().list(), []);
      });

      it('orders newest createdAt first, whatever the insertion order or ISO form', async () => {
        const old = makeApiKeyRecord({ name: 'old', createdAt: '2025-01-01T00:00:00Z' });
        const newest = makeApiKeyRecord({ name: 'newest', createdAt: '2025-01-01T02:00:01+02:00' });
        const middle = makeApiKeyRecord({ name: 'middle', createdAt: '2025-01-01T00:00:00.500Z' });
        for (const record of [middle, old, newest]) await keys().insert(record);
        assert.deepEqual((await keys().list()).map((k) => k.name), ['newest', 'middle', 'old']);
      });

      it('puts the later insert first when createdAt ties', async () => {
        for (const name of ['a', 'b', 'c']) await keys().insert(makeApiKeyRecord({ name }));
        assert.deepEqual((await keys().list()).map((k) => k.name), ['c', 'b', 'a']);
      });

      it('returns whole records, revoked ones included', async () => {
        const revoked = makeApiKeyRecord({ createdAt: '2025-01-01T00:00:00.000Z', revokedAt: '2025-01-02T00:00:00.000Z' });
        const active = makeApiKeyRecord({ createdAt: '2025-01-03T00:00:00.000Z', models: ['m'] });
        await keys().insert(revoked);
        await keys().insert(active);
        assert.deepEqual(await keys().list(), [active, revoked]);
      });
    });

    describe('expire', () => {
      it('sets an expiry, only ever brings it forward, and answers false for an unknown id', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        assert.equal(await keys().expire(record.id, '2030-01-01T00:00:00.000Z'), true);
        assert.equal((await keys().get(record.id))?.expiresAt, '2030-01-01T00:00:00.000Z');
        assert.equal(await keys().expire(record.id, '2031-01-01T00:00:00.000Z'), true);
        assert.equal((await keys().get(record.id))?.expiresAt, '2030-01-01T00:00:00.000Z', 'a later expiry does not extend it');
        assert.equal(await keys().expire(record.id, '2029-06-01T00:00:00.000Z'), true);
        assert.equal((await keys().get(record.id))?.expiresAt, '2029-06-01T00:00:00.000Z');
        assert.equal(await keys().expire('nope', '2029-06-01T00:00:00.000Z'), false);
        await assert.rejects(keys().expire(record.id, 'soon'));
      });
    });

    describe('revoke', () => {
      it('marks the key revoked and answers true', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        assert.equal(await keys().revoke(record.id, '2025-03-01T00:00:00.000Z'), true);
        assert.deepEqual(await keys().get(record.id), { ...record, revokedAt: '2025-03-01T00:00:00.000Z' });
        assert.equal((await keys().findByPrefix(record.prefix))?.revokedAt, '2025-03-01T00:00:00.000Z');
      });

      it('keeps the first time when revoked twice, and still answers true', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await keys().revoke(record.id, '2025-03-01T00:00:00.000Z');
        assert.equal(await keys().revoke(record.id, '2025-04-01T00:00:00.000Z'), true);
        assert.equal((await keys().get(record.id))?.revokedAt, '2025-03-01T00:00:00.000Z');
      });

      it('answers false for an unknown id and changes nothing', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        assert.equal(await keys().revoke('no-such-id', '2025-03-01T00:00:00.000Z'), false);
        assert.deepEqual(await keys().list(), [record]);
      });

      it('touches only the key it names', async () => {
        const target = makeApiKeyRecord();
        const other = makeApiKeyRecord();
        await keys().insert(target);
        await keys().insert(other);
        await keys().revoke(target.id, '2025-03-01T00:00:00.000Z');
        assert.deepEqual(await keys().get(other.id), other);
      });
    });

    describe('count', () => {
      it('counts every key, revoked ones included', async () => {
        assert.equal(await keys().count(), 0);
        const records = [makeApiKeyRecord(), makeApiKeyRecord(), makeApiKeyRecord()];
        for (const record of records) await keys().insert(record);
        await keys().revoke(records[0]!.id, '2025-03-01T00:00:00.000Z');
        assert.equal(await keys().count(), 3);
      });
    });

    describe('touch', () => {
      const T1 = '2025-03-01T00:00:00.000Z';
      const T2 = '2025-03-02T00:00:00.000Z';

      it('sets lastUsedAt on a key never used, and get, findByPrefix and list show it', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await keys().touch([{ id: record.id, at: T1 }]);
        const touched = { ...record, lastUsedAt: T1 };
        assert.deepEqual(await keys().get(record.id), touched);
        assert.deepEqual(await keys().findByPrefix(record.prefix), touched);
        assert.deepEqual(await keys().list(), [touched]);
      });

      it('moves lastUsedAt forward only', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await keys().touch([{ id: record.id, at: T2 }]);
        await keys().touch([{ id: record.id, at: T1 }]);
        assert.equal((await keys().get(record.id))?.lastUsedAt, T2, 'an older time is ignored');
        await keys().touch([{ id: record.id, at: '2025-03-02T02:00:00+02:00' }]);
        assert.equal((await keys().get(record.id))?.lastUsedAt, T2, 'the same instant in another form is not later');
        await keys().touch([{ id: record.id, at: '2025-03-02T00:00:00.500Z' }]);
        assert.equal((await keys().get(record.id))?.lastUsedAt, '2025-03-02T00:00:00.500Z', 'later by time, though earlier as text');
      });

      it('keeps the latest time when one batch names a key twice', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await keys().touch([{ id: record.id, at: T2 }, { id: record.id, at: T1 }]);
        assert.equal((await keys().get(record.id))?.lastUsedAt, T2);
      });

      it('updates every key of a batch, ignores unknown ids, and leaves other keys alone', async () => {
        const [a, b, untouched] = [makeApiKeyRecord(), makeApiKeyRecord(), makeApiKeyRecord()];
        for (const record of [a!, b!, untouched!]) await keys().insert(record);
        await keys().touch([{ id: a!.id, at: T1 }, { id: 'no-such-id', at: T1 }, { id: b!.id, at: T2 }]);
        assert.equal((await keys().get(a!.id))?.lastUsedAt, T1);
        assert.equal((await keys().get(b!.id))?.lastUsedAt, T2);
        assert.deepEqual(await keys().get(untouched!.id), untouched);
        assert.equal(await keys().count(), 3, 'an unknown id creates nothing');
      });

      it('records the use of a revoked key and keeps it revoked', async () => {
        const record = makeApiKeyRecord({ revokedAt: T1 });
        await keys().insert(record);
        await keys().touch([{ id: record.id, at: T2 }]);
        assert.deepEqual(await keys().get(record.id), { ...record, lastUsedAt: T2 });
      });

      it('accepts an empty batch', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await keys().touch([]);
        assert.deepEqual(await keys().get(record.id), record);
      });

      it('rejects a batch with a time that is not a time, and writes none of it', async () => {
        const record = makeApiKeyRecord();
        await keys().insert(record);
        await assert.rejects(keys().touch([{ id: record.id, at: T1 }, { id: record.id, at: 'just now' }]));
        assert.equal((await keys().get(record.id))?.lastUsedAt, null);
      });
    });

    describe('isolation from callers', () => {
      it('is not changed by mutating the inserted object afterwards', async () => {
        const models = ['m1'];
        const record: Mutable<ApiKeyRecord> = makeApiKeyRecord({ models });
        await keys().insert(record);
        record.name = 'changed';
        models.push('m2');
        assert.deepEqual(await keys().get(record.id), { ...record, name: 'test key', models: ['m1'] });
      });

      it('is not changed by mutating a returned record', async () => {
        const record = makeApiKeyRecord({ models: ['m1'] });
        await keys().insert(record);
        const got = (await keys().get(record.id)) as Mutable<ApiKeyRecord>;
        got.revokedAt = '2025-03-01T00:00:00.000Z';
        (got.models as string[]).push('m2');
        const [listed] = await keys().list();
        (listed!.models as string[]).length = 0;
        assert.deepEqual(await keys().get(record.id), record);
      });
    });
  });
}
