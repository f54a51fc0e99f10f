import { afterEach, beforeEach } from 'node:test';
import type { Storage } from '../../src/storage/ports.ts';

export type MakeStorage = () => Promise<Storage>;

/**
 * Gives every test of the enclosing describe() its own empty, migrated storage and closes it afterwards, so
 * tests never see each other's data. The contract suites call migrate() themselves: adapters only construct.
 */
export function useFreshStorage(make: MakeStorage): () => Storage {
  let storage: Storage | undefined;
  beforeEach(async () => {
    storage = await make();
    await storage.migrate();
  });
  afterEach(async () => {
    await storage?.close();
    storage = undefined;
  });
  return () => {
    if (storage === undefined) throw new Error('storage is only available inside a test');
    return storage;
  };
}
