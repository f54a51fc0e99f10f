import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { makeApiKeyRecord } from '../support/api-key-record-factory.ts';
import { makeUsageRecord } from '../support/usage-record-factory.ts';
import { makeStoredResponse, RESPONSE_NOW_MS } from './stored-response-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

/** The Storage port's own methods (migrate, ping, close); every storage adapter runs this suite. */
export function runStorageLifecycleContract(name: string, make: MakeStorage): void {
  describe(`Storage lifecycle contract: ${name}`, () => {
    const storage = useFreshStorage(make);

    it('migrates again without error and without losing data', async () => {
      const key = makeApiKeyRecord();
      const record = makeUsageRecord();
      const version = { author: 'bootstrap', createdAt: '2025-01-01T00:00:00.000Z', summary: 'first start', content: { a: [1] }, diff: [] };
      await storage().keys.insert(key);
      await storage().usage.insertMany([record]);
      const response = makeStoredResponse();
      await storage().config.append(version, 0);
      await storage().responses.put(response);
      await storage().migrate();
      assert.deepEqual(await storage().keys.list(), [key]);
      assert.deepEqual(await storage().usage.list({}), [record]);
      assert.equal(await storage().config.latestVersion(), 1);
      assert.deepEqual(await storage().config.get(1), { ...version, version: 1 });
      assert.deepEqual(await storage().responses.get(response.id, { keyId: response.keyId, workspaceId: response.workspaceId }, RESPONSE_NOW_MS), response);
    });

    it('answers ping while open', async () => {
      await storage().ping();
    });

    it('closes twice without error', async () => {
      await storage().close();
      await storage().close();
    });

    it('fails ping and reads once closed', async () => {
      await storage().close();
      await assert.rejects(storage().ping());
      await assert.rejects(storage().keys.count());
      await assert.rejects(storage().keys.touch([{ id: 'any', at: '2025-01-01T00:00:00.000Z' }]));
      await assert.rejects(storage().usage.list({}));
      await assert.rejects(storage().usage.variantStats('exp'));
      await assert.rejects(storage().usage.putFeedback({ experimentId: 'exp', requestId: 'r', score: 1, comment: null, at: '2025-01-01T00:00:00.000Z' }));
      await assert.rejects(storage().config.latestVersion());
      const scope = { keyId: 'key-a', workspaceId: 'ws-a' };
      await assert.rejects(storage().responses.put(makeStoredResponse()));
      await assert.rejects(storage().responses.get('resp_x', scope, RESPONSE_NOW_MS));
      await assert.rejects(storage().responses.conversation('resp_x', scope, RESPONSE_NOW_MS, 10));
      await assert.rejects(storage().responses.delete('resp_x', scope));
      await assert.rejects(storage().responses.deleteExpired(RESPONSE_NOW_MS));
    });
  });
}
