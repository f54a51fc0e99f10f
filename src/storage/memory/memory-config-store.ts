import { ConfigVersionConflict, type ConfigStore, type ConfigVersionRecord, type NewConfigVersion } from '../ports.ts';

const DEFAULT_LIMIT = 50;

/** Deep copies in and out (records are JSON), so no caller can reach the stored history. */
function copy(record: ConfigVersionRecord): ConfigVersionRecord {
  return structuredClone(record);
}

export function createMemoryConfigStore(assertOpen: () => void, onAppend: (version: number) => void): ConfigStore {
  const versions: ConfigVersionRecord[] = [];
  return {
    async latestVersion() {
      assertOpen();
      return versions.length;
    },
    async get(version) {
      assertOpen();
      const record = versions[version - 1];
      return record === undefined ? undefined : copy(record);
    },
    async list(query) {
      assertOpen();
      const before = Math.min(query.before ?? Number.POSITIVE_INFINITY, versions.length + 1);
      const limit = query.limit ?? DEFAULT_LIMIT;
      const out = [];
      for (let v = before - 1; v >= 1 && out.length < limit; v--) {
        const { version, author, createdAt, summary } = versions[v - 1] as ConfigVersionRecord;
        out.push({ version, author, createdAt, summary });
      }
      return out;
    },
    async append(entry: NewConfigVersion, expectedLatest) {
      assertOpen();
      if (versions.length !== expectedLatest) throw new ConfigVersionConflict(expectedLatest, versions.length);
      const record = copy({ ...entry, version: versions.length + 1 });
      versions.push(record);
      onAppend(record.version);
      return copy(record);
    },
  };
}
