import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigVersionConflict, type ConfigVersionRecord, type NewConfigVersion, type StorageChange } from '../../src/storage/ports.ts';
import { makeApiKeyRecord } from '../support/api-key-record-factory.ts';
import { until } from '../support/until.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

/** What JSON can carry, and the cases a text or json column could get wrong: nesting, unicode, number forms. */
const RICH_CONTENT = {
  providers: { openai: { baseUrl: 'https://api.openai.com/v1', apiKey: { secretRef: 'env:OPENAI_API_KEY' }, models: ['gpt-4o', 'gpt-4o-mini'] } },
  routing: { rules: [{ id: 'r1', when: { agentType: 'voice' }, targets: [{ model: 'gpt-4o', weight: 0.7 }, { model: 'claude', weight: 0.3 }] }] },
  unicode: { 'clé': 'café 日本語 🚀 Ω', quotes: 'say "hi" \\ back\\slash', control: 'tab\tnewline\n\u0001 \u2028 \u2029', empty: '' },
  numbers: { zero: 0, negative: -17, fraction: 0.1 + 0.2, big: 1e21, safe: Number.MAX_SAFE_INTEGER, tiny: 5e-324, exp: -1.5e-7 },
  literals: { yes: true, no: false, nothing: null, emptyObject: {}, emptyList: [] },
  deep: { a: { b: { c: { d: { e: [[1, [2, [3, { f: 'g' }]]]] } } } } },
};

const RICH_DIFF = [
  { path: '/routing/rules/0/targets/0/weight', before: 0.5, after: 0.7 },
  { path: '/unicode/clé', before: null, after: 'café 日本語 🚀' },
  { path: '/literals', before: { nested: [1, 2] }, after: {} },
];

let entries = 0;
/** A valid new version; each call differs, so a test can tell which write was kept. */
function entry(overrides: Partial<NewConfigVersion> = {}): NewConfigVersion {
  const n = ++entries;
  return {
    author: `key-${n}`,
    createdAt: `2025-05-01T00:00:${String(n % 60).padStart(2, '0')}.000Z`,
    summary: `admin write ${n}`,
    content: { n, gateway: { name: `gw-${n}` } },
    diff: [{ path: '/n', before: n - 1, after: n }],
    ...overrides,
  };
}

const summaryOf = ({ version, author, createdAt, summary }: ConfigVersionRecord) => ({ version, author, createdAt, summary });

/** The ConfigStore port's semantics and Storage.subscribe; every storage adapter runs this suite. */
export function runConfigStoreContract(name: string, make: MakeStorage): void {
  describe(`ConfigStore contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const config = () => storage().config;

    /** Appends `count` versions on top of whatever is there, returning them as stored. */
    async function appendMany(count: number): Promise<ConfigVersionRecord[]> {
      const written = [];
      for (let i = 0; i < count; i++) written.push(await config().append(entry(), await config().latestVersion()));
      return written;
    }

    describe('append and get', () => {
      it('starts empty: latest version 0, no version 1, an empty list', async () => {
        assert.equal(await config().latestVersion(), 0);
        assert.equal(await config().get(1), undefined);
        assert.deepEqual(await config().list({}), []);
      });

      it('numbers versions 1, 2, 3 and answers each as written', async () => {
        const written = [entry(), entry(), entry()];
        for (const [index, next] of written.entries()) {
          const record = await config().append(next, index);
          assert.deepEqual(record, { ...next, version: index + 1 });
          assert.equal(await config().latestVersion(), index + 1);
        }
        for (const [index, next] of written.entries()) assert.deepEqual(await config().get(index + 1), { ...next, version: index + 1 });
      });

      it('round-trips nested JSON, unicode and every number form exactly', async () => {
        const rich = entry({ author: 'importé 🚀', summary: 'import — «config» ✓', content: RICH_CONTENT, diff: RICH_DIFF });
        const record = await config().append(rich, 0);
        assert.deepEqual(record, { ...rich, version: 1 });
        const stored = await config().get(1);
        assert.deepEqual(stored, { ...rich, version: 1 });
        assert.equal(JSON.stringify(stored?.content), JSON.stringify(RICH_CONTENT), 'keys keep their order');
        assert.deepEqual(await config().get(1), await config().get(1));
      });

      it('keeps an empty content and an empty diff', async () => {
        const empty = entry({ content: {}, diff: [] });
        await config().append(empty, 0);
        assert.deepEqual(await config().get(1), { ...empty, version: 1 });
      });

      it('answers undefined for a version never written', async () => {
        await appendMany(2);
        for (const version of [0, 3, 99, -1]) assert.equal(await config().get(version), undefined, `version ${version}`);
      });
    });

    describe('list', () => {
      it('answers summaries only, newest first', async () => {
        const written = await appendMany(3);
        const listed = await config().list({});
        assert.deepEqual(listed, written.map(summaryOf).reverse());
        for (const summary of listed) assert.deepEqual(Object.keys(summary).sort(), ['author', 'createdAt', 'summary', 'version']);
      });

      it('answers at most limit versions, the newest', async () => {
        const written = await appendMany(5);
        assert.deepEqual((await config().list({ limit: 2 })).map((s) => s.version), [5, 4]);
        assert.deepEqual(await config().list({ limit: 0 }), []);
        assert.deepEqual((await config().list({ limit: 10 })).length, written.length);
      });

      it('pages with before: only versions older than it', async () => {
        await appendMany(5);
        assert.deepEqual((await config().list({ before: 4 })).map((s) => s.version), [3, 2, 1]);
        assert.deepEqual((await config().list({ before: 4, limit: 2 })).map((s) => s.version), [3, 2]);
        assert.deepEqual((await config().list({ before: 2, limit: 2 })).map((s) => s.version), [1]);
        assert.deepEqual(await config().list({ before: 1 }), []);
        assert.deepEqual((await config().list({ before: 99 })).map((s) => s.version), [5, 4, 3, 2, 1]);
      });

      it('answers 50 versions when no limit is given', async () => {
        await appendMany(51);
        const listed = await config().list({});
        assert.equal(listed.length, 50);
        assert.deepEqual([listed[0]?.version, listed.at(-1)?.version], [51, 2]);
      });
    });

    describe('optimistic concurrency', () => {
      it('refuses a stale expectedLatest with the head, and writes nothing', async () => {
        const written = await appendMany(2);
        for (const stale of [0, 1, 3, 7]) {
          await assert.rejects(config().append(entry(), stale), (error: unknown) => {
            assert.ok(error instanceof ConfigVersionConflict, String(error));
            assert.equal(error.head, 2);
            return true;
          }, `expectedLatest ${stale}`);
        }
        assert.equal(await config().latestVersion(), 2);
        assert.equal(await config().get(3), undefined);
        assert.deepEqual(await config().list({}), written.map(summaryOf).reverse());
      });

      it('lets exactly one of several concurrent appends on the same head win', async () => {
        await appendMany(1);
        const contenders = Array.from({ length: 6 }, () => entry());
        const results = await Promise.allSettled(contenders.map((next) => config().append(next, 1)));
        const won = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
        assert.equal(won.length, 1, `winners: ${won.join(', ')}`);
        for (const result of results) {
          if (result.status === 'rejected') {
            assert.ok(result.reason instanceof ConfigVersionConflict, String(result.reason));
            assert.equal(result.reason.head, 2);
          }
        }
        assert.equal(await config().latestVersion(), 2);
        assert.deepEqual(await config().get(2), { ...contenders[won[0]!]!, version: 2 });
        assert.equal(await config().get(3), undefined);
      });

      it('numbers every version once when writers retry after a conflict', async () => {
        const writer = async (): Promise<number> => {
          for (;;) {
            try {
              return (await config().append(entry(), await config().latestVersion())).version;
            } catch (error) {
              if (!(error instanceof ConfigVersionConflict)) throw error;
            }
          }
        };
        const versions = await Promise.all(Array.from({ length: 5 }, writer));
        assert.deepEqual([...versions].sort((a, b) => a - b), [1, 2, 3, 4, 5]);
        assert.deepEqual((await config().list({})).map((s) => s.version), [5, 4, 3, 2, 1]);
      });
    });

    describe('isolation from callers', () => {
      it('is not changed by mutating the appended entry afterwards', async () => {
        const content = { gateway: { name: 'before' }, list: [1, 2] };
        const diff = [{ path: '/gateway/name', after: 'before' }];
        await config().append(entry({ content, diff }), 0);
        content.gateway.name = 'after';
        content.list.push(3);
        diff[0]!.after = 'after';
        diff.push({ path: '/extra', after: 'x' });
        const stored = await config().get(1);
        assert.deepEqual(stored?.content, { gateway: { name: 'before' }, list: [1, 2] });
        assert.deepEqual(stored?.diff, [{ path: '/gateway/name', after: 'before' }]);
      });

      it('is not changed by mutating a returned or read record', async () => {
        const next = entry({ content: { gateway: { name: 'kept' }, list: [1] } });
        const returned = await config().append(next, 0) as any;
        returned.content.gateway.name = 'changed by the writer';
        returned.diff.push({ extra: true });
        returned.summary = 'changed';
        const read = await config().get(1) as any;
        read.content.list.push(2);
        read.diff.length = 0;
        const [listed] = await config().list({}) as any[];
        listed.author = 'changed';
        assert.deepEqual(await config().get(1), { ...next, version: 1 });
        assert.deepEqual(await config().list({}), [summaryOf({ ...next, version: 1 })]);
      });
    });

    describe('subscribe', () => {
      /** Collects changes; waits a little after the last expected one so that a stray extra change would show. */
      function collect(): { changes: StorageChange[]; settle: (count: number) => Promise<StorageChange[]> } {
        const changes: StorageChange[] = [];
        const settle = async (count: number): Promise<StorageChange[]> => {
          await until(() => changes.length >= count, `${count} change(s), got ${JSON.stringify(changes)}`);
          await sleep(50);
          return changes;
        };
        return { changes, settle };
      }

      it('tells a listener about its own config appends and key revocations', async () => {
        const { changes, settle } = collect();
        const unsubscribe = storage().subscribe((change) => changes.push(change));
        try {
          const key = makeApiKeyRecord();
          await storage().keys.insert(key);
          await config().append(entry(), 0);
          assert.equal(await storage().keys.revoke(key.id, '2025-05-01T00:00:00.000Z'), true);
          assert.equal(await storage().keys.revoke('no-such-key', '2025-05-01T00:00:00.000Z'), false);
          await config().append(entry(), 1);
          assert.deepEqual(await settle(3), [{ kind: 'config', version: 1 }, { kind: 'key', id: key.id }, { kind: 'config', version: 2 }]);
        } finally {
          unsubscribe();
        }
      });

      it('tells nothing of a refused append or of other writes', async () => {
        const { changes, settle } = collect();
        await config().append(entry(), 0);
        const unsubscribe = storage().subscribe((change) => changes.push(change));
        try {
          await assert.rejects(config().append(entry(), 0), ConfigVersionConflict);
          await storage().keys.insert(makeApiKeyRecord());
          await config().append(entry(), 1);
          assert.deepEqual(await settle(1), [{ kind: 'config', version: 2 }]);
        } finally {
          unsubscribe();
        }
      });

      it('stops calling a listener once it unsubscribes, and keeps calling the others', async () => {
        const first = collect();
        const second = collect();
        const unsubscribeFirst = storage().subscribe((change) => first.changes.push(change));
        const unsubscribeSecond = storage().subscribe((change) => second.changes.push(change));
        try {
          await config().append(entry(), 0);
          await first.settle(1);
          unsubscribeFirst();
          await config().append(entry(), 1);
          assert.deepEqual(await second.settle(2), [{ kind: 'config', version: 1 }, { kind: 'config', version: 2 }]);
          assert.deepEqual(first.changes, [{ kind: 'config', version: 1 }]);
        } finally {
          unsubscribeFirst();
          unsubscribeSecond();
        }
      });

      it('keeps the write and the other listeners when one listener throws', async () => {
        const { changes, settle } = collect();
        const unsubscribeBad = storage().subscribe(() => {
          throw new Error('listener bug');
        });
        const unsubscribe = storage().subscribe((change) => changes.push(change));
        try {
          assert.equal((await config().append(entry(), 0)).version, 1);
          assert.deepEqual(await settle(1), [{ kind: 'config', version: 1 }]);
          assert.equal(await config().latestVersion(), 1);
        } finally {
          unsubscribeBad();
          unsubscribe();
        }
      });
    });

    describe('once closed', () => {
      it('rejects every method', async () => {
        await appendMany(1);
        await config().list({});
        await config().get(1);
        await storage().close();
        await assert.rejects(config().latestVersion());
        await assert.rejects(config().get(1));
        await assert.rejects(config().list({}));
        await assert.rejects(config().append(entry(), 1));
      });
    });
  });
}
