import type { ApiKeyRecord, KeyStore } from '../ports.ts';
import { toEpochMs } from '../to-epoch-ms.ts';

interface StoredKey {
  record: ApiKeyRecord;
  readonly createdAtMs: number;
  /** lastUsedAt as epoch ms (-Infinity when never used), so touch compares times rather than ISO text. */
  lastUsedAtMs: number;
  /** Insertion order: breaks createdAt ties the way SQLite's rowid does. */
  readonly seq: number;
}

/** Copies in and out so no caller can reach, and mutate, the stored state. */
function copyKey(record: ApiKeyRecord): ApiKeyRecord {
  return {
    ...record, models: record.models === null ? null : [...record.models], scopes: record.scopes === null ? null : [...record.scopes],
    budgetLimits: record.budgetLimits === null ? null : { ...record.budgetLimits },
  };
}

const NEVER = Number.NEGATIVE_INFINITY;

function newestFirst(a: StoredKey, b: StoredKey): number {
  return b.createdAtMs - a.createdAtMs || b.seq - a.seq;
}

/** onRevoke tells Storage.subscribe listeners; it runs after the revocation is stored. */
export function createMemoryKeyStore(assertOpen: () => void, onRevoke: (id: string) => void = () => {}): KeyStore {
  const byId = new Map<string, StoredKey>();
  const idByPrefix = new Map<string, string>();
  let seq = 0;

  return {
    async insert(record) {
      assertOpen();
      if (byId.has(record.id)) throw new Error(`an API key with id ${record.id} already exists`);
      if (idByPrefix.has(record.prefix)) throw new Error(`an API key with prefix ${record.prefix} already exists`);
      const createdAtMs = toEpochMs(record.createdAt, 'createdAt');
      const lastUsedAtMs = record.lastUsedAt === null ? NEVER : toEpochMs(record.lastUsedAt, 'lastUsedAt');
      if (record.expiresAt !== null) toEpochMs(record.expiresAt, 'expiresAt');
      byId.set(record.id, { record: copyKey(record), createdAtMs, lastUsedAtMs, seq: seq++ });
      idByPrefix.set(record.prefix, record.id);
    },
    async get(id) {
      assertOpen();
      const stored = byId.get(id);
      return stored && copyKey(stored.record);
    },
    async findByPrefix(prefix) {
      assertOpen();
      const id = idByPrefix.get(prefix);
      const stored = id === undefined ? undefined : byId.get(id);
      return stored && copyKey(stored.record);
    },
    async list() {
      assertOpen();
      return [...byId.values()].sort(newestFirst).map((stored) => copyKey(stored.record));
    },
    async revoke(id, at) {
      assertOpen();
      toEpochMs(at, 'revokedAt');
      const stored = byId.get(id);
      if (!stored) return false;
      if (stored.record.revokedAt === null) stored.record = { ...stored.record, revokedAt: at };
      onRevoke(id);
      return true;
    },
    async count() {
      assertOpen();
      return byId.size;
    },
    async expire(id, at) {
      assertOpen();
      const ms = toEpochMs(at, 'expiresAt');
      const stored = byId.get(id);
      if (!stored) return false;
      const current = stored.record.expiresAt;
      if (current === null || toEpochMs(current, 'expiresAt') > ms) stored.record = { ...stored.record, expiresAt: at };
      onRevoke(id);
      return true;
    },
    async touch(entries) {
      assertOpen();
      // Validate the whole batch first: a bad time writes nothing, as in SQLite's transaction.
      const times = entries.map((entry) => toEpochMs(entry.at, 'lastUsedAt'));
      entries.forEach((entry, index) => {
        const stored = byId.get(entry.id);
        const ms = times[index] ?? NEVER;
        if (stored === undefined || ms <= stored.lastUsedAtMs) return;
        stored.lastUsedAtMs = ms;
        stored.record = { ...stored.record, lastUsedAt: entry.at };
      });
    },
  };
}
