import type { Storage } from '../ports.ts';
import { createMemoryKeyStore } from './memory-key-store.ts';
import { createMemoryUsageStore } from './memory-usage-store.ts';

/** Storage in plain maps: no schema, nothing survives the process. Behaves like SQLite by the shared contract. */
export function createMemoryStorage(): Storage {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new Error('storage is closed');
  };
  return {
    keys: createMemoryKeyStore(assertOpen),
    usage: createMemoryUsageStore(assertOpen),
    async migrate() {
      assertOpen();
    },
    async ping() {
      assertOpen();
    },
    async close() {
      closed = true;
    },
  };
}
