import { ChangeEmitter } from '../change-emitter.ts';
import type { Storage } from '../ports.ts';
import { createMemoryAuditStore } from './memory-audit-store.ts';
import { createMemoryConfigStore } from './memory-config-store.ts';
import { createMemoryKeyStore } from './memory-key-store.ts';
import { createMemoryResponseStore } from './memory-response-store.ts';
import { createMemoryUsageStore } from './memory-usage-store.ts';

/** Storage in plain maps: no schema, nothing survives the process. Behaves like SQLite by the shared contract. */
export function createMemoryStorage(): Storage {
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new Error('storage is closed');
  };
  const changes = new ChangeEmitter();
  return {
    keys: createMemoryKeyStore(assertOpen, (id) => changes.emit({ kind: 'key', id })),
    config: createMemoryConfigStore(assertOpen, (version) => changes.emit({ kind: 'config', version })),
    subscribe: (listener) => changes.subscribe(listener),
    usage: createMemoryUsageStore(assertOpen),
    audit: createMemoryAuditStore(assertOpen),
    responses: createMemoryResponseStore(assertOpen),
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
