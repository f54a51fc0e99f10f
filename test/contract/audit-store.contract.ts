import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AuditEvent } from '../../src/domain/audit-event.ts';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { AuditQuery } from '../../src/storage/ports.ts';
import { makeAuditEvent } from '../support/audit-event-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

const BASE_MS = Date.parse('2025-01-01T00:00:00.000Z');

/** The time `seconds` after the base time, in the canonical toISOString() form. */
function at(seconds: number): string {
  return new Date(BASE_MS + seconds * 1000).toISOString();
}

/** n events, one second apart, oldest first. */
function series(n: number, overrides: Partial<AuditEvent> = {}): AuditEvent[] {
  return Array.from({ length: n }, (_, i) => makeAuditEvent({ at: at(i), ...overrides }));
}

/** Every field set: a refusal of a workspace key, with a before and an after of nested JSON. */
const FULL: Omit<AuditEvent, 'id'> = {
  at: '2025-06-30T23:59:59.123Z',
  action: 'limit.refused',
  outcome: 'refused',
  code: 'SB_RATE_LIMITED',
  actorKeyId: 'key-full',
  actorWorkspaceId: 'ws-marketing',
  actorUserId: 'user-7',
  ip: '2001:db8::1',
  requestId: 'req-full',
  workspaceId: 'ws-marketing',
  targetType: 'route',
  targetId: 'POST /v1/chat/completions',
  before: { limits: [1, 2.5, -3e-7], nested: { ok: true, none: null, text: 'é ✓ "quoted"' } },
  after: ['a', { b: [] }, {}, 0, false],
};

/** Every nullable field null: a change made with no request (the CLI), with no before and no after. */
const SPARSE: Omit<AuditEvent, 'id'> = {
  at: '2025-06-30T00:00:00.000Z',
  action: 'config.import',
  outcome: 'ok',
  code: null,
  actorKeyId: null,
  actorWorkspaceId: null,
  actorUserId: null,
  ip: null,
  requestId: null,
  workspaceId: null,
  targetType: 'config',
  targetId: null,
  before: null,
  after: null,
};

function refusedWith(param: string): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof GatewayError, `expected a GatewayError, got ${String(err)}`);
    assert.equal(err.code, 'SB_INVALID_REQUEST');
    assert.equal(err.param, param);
    return true;
  };
}

/** The AuditStore port's semantics; every storage adapter runs this suite (test/contract/storage.contract.test.ts). */
export function runAuditStoreContract(name: string, make: MakeStorage): void {
  describe(`AuditStore contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const audit = () => storage().audit;
    const ids = async (query: AuditQuery) => (await audit().list(query)).map((e) => e.id);

    describe('round trip', () => {
      it('returns every field as written, before and after as their JSON, for a fully set event', async () => {
        const event = makeAuditEvent(FULL);
        await audit().insertMany([event]);
        assert.deepEqual(await audit().list({}), [event]);
      });

      it('returns nulls as null', async () => {
        const event = makeAuditEvent(SPARSE);
        await audit().insertMany([event]);
        const [read] = await audit().list({});
        assert.deepEqual(read, event);
        assert.equal(read?.before, null);
        assert.equal(read?.after, null);
      });

      it('keeps a before or after that is a JSON scalar, and reads an undefined one as null', async () => {
        const events = [
          makeAuditEvent({ at: at(0), before: 'text', after: 42 }),
          makeAuditEvent({ at: at(1), before: true, after: [] }),
          makeAuditEvent({ at: at(2), before: undefined, after: { when: '2025-01-01T00:00:00.000Z' } }),
        ];
        await audit().insertMany(events);
        const read = await audit().list({});
        assert.deepEqual(read.map((e) => [e.before, e.after]), [[null, { when: '2025-01-01T00:00:00.000Z' }], [true, []], ['text', 42]]);
      });

      it('stores a NUL character in a name or a JSON string (PostgreSQL keeps it as U+FFFD)', async () => {
        const event = makeAuditEvent({ targetId: 'agent\u0000x', after: { name: 'a\u0000b', path: 'c:\\u0000d' } });
        await audit().insertMany([event]);
        const [read] = await audit().list({});
        assert.ok(read?.targetId === 'agent\u0000x' || read?.targetId === 'agent\ufffdx', String(read?.targetId));
        const after = read?.after as { name: string; path: string };
        assert.ok(after.name === 'a\u0000b' || after.name === 'a\ufffdb', after.name);
        // An escaped backslash followed by "u0000" is text, not a NUL: it stays as it is everywhere.
        assert.equal(after.path, 'c:\\u0000d');
      });
    });

    describe('deleteBefore (retention)', () => {
      it('deletes the events before the cutoff, in batches past a thousand, and keeps the rest', async () => {
        const old = Array.from({ length: 1_200 }, (_, i) => makeAuditEvent({ at: new Date(Date.parse('2024-01-01T00:00:00.000Z') + i).toISOString() }));
        const kept = [makeAuditEvent({ at: '2025-01-01T00:00:00.000Z' }), makeAuditEvent({ at: '2025-06-01T00:00:00.000Z' })];
        await audit().insertMany([...old, ...kept]);
        assert.equal(await audit().deleteBefore(Date.parse('2025-01-01T00:00:00.000Z')), 1_200);
        assert.deepEqual((await ids({ limit: 1000 })).sort(), kept.map((e) => e.id).sort(), 'the cutoff itself is kept');
        assert.equal(await audit().deleteBefore(Date.parse('2025-01-01T00:00:00.000Z')), 0);
        // A deleted event can be written again (a late redelivery of something that old is new to the store).
        await audit().insertMany([old[0]!]);
        assert.equal((await ids({ limit: 1000 })).length, 3);
      });
    });

    describe('insertMany', () => {
      it('accepts an empty batch', async () => {
        await audit().insertMany([]);
        assert.deepEqual(await audit().list({}), []);
      });

      it('adds to what earlier batches wrote', async () => {
        const [a, b, c] = series(3);
        await audit().insertMany([a!]);
        await audit().insertMany([b!, c!]);
        assert.deepEqual(await ids({}), [c!.id, b!.id, a!.id]);
      });

      it('leaves a stored event as it is when its id comes again, in a later batch or the same one', async () => {
        const [stored, fresh] = series(2);
        await audit().insertMany([stored!]);
        await audit().insertMany([fresh!, { ...stored!, action: 'key.revoke' }, { ...fresh!, outcome: 'refused' }]);
        assert.deepEqual(await audit().list({}), [fresh, stored]);
      });

      it('writes nothing when an event has an at that is not a time', async () => {
        const [good] = series(1);
        await assert.rejects(audit().insertMany([good!, makeAuditEvent({ at: 'not a time' })]));
        assert.deepEqual(await audit().list({}), []);
      });

      it('writes nothing when an event\'s before or after is not JSON', async () => {
        const [good] = series(1);
        await assert.rejects(audit().insertMany([good!, makeAuditEvent({ after: { spend: 10n } })]));
        const cycle: Record<string, unknown> = {};
        cycle.self = cycle;
        await assert.rejects(audit().insertMany([good!, makeAuditEvent({ before: cycle })]));
        assert.deepEqual(await audit().list({}), []);
      });
    });

    describe('list filters', () => {
      it('is empty on a new store', async () => {
        assert.deepEqual(await audit().list({}), []);
      });

      it('filters by requestId: every event of one request', async () => {
        const first = makeAuditEvent({ at: at(0), action: 'key.create' });
        const second = makeAuditEvent({ at: at(1), action: 'key.rotate', requestId: first.requestId });
        await audit().insertMany([first, second, ...series(3)]);
        assert.deepEqual(await ids({ requestId: first.requestId! }), [second.id, first.id]);
        assert.deepEqual(await ids({ requestId: 'no-such-request' }), []);
      });

      it('filters by workspaceId, never matching events of no workspace', async () => {
        const mine = series(2, { workspaceId: 'ws-a' });
        await audit().insertMany([...mine, ...series(2, { workspaceId: 'ws-b' }), ...series(2, { workspaceId: null })]);
        assert.deepEqual(await ids({ workspaceId: 'ws-a' }), [mine[1]!.id, mine[0]!.id]);
        assert.deepEqual(await ids({ workspaceId: 'ws-c' }), []);
      });

      it('filters by actorKeyId, never matching events of no actor', async () => {
        const mine = series(2, { actorKeyId: 'key-a' });
        await audit().insertMany([...mine, ...series(2, { actorKeyId: 'key-b' }), ...series(1, { actorKeyId: null })]);
        assert.deepEqual(await ids({ actorKeyId: 'key-a' }), [mine[1]!.id, mine[0]!.id]);
      });

      it('filters by an exact action', async () => {
        const [create, revoke, created] = [
          makeAuditEvent({ at: at(0), action: 'key.create' }), makeAuditEvent({ at: at(1), action: 'key.revoke' }), makeAuditEvent({ at: at(2), action: 'key.create' }),
        ];
        await audit().insertMany([create, revoke, created, makeAuditEvent({ action: 'key.created' })]);
        assert.deepEqual(await ids({ action: 'key.create' }), [created.id, create.id]);
        assert.deepEqual(await ids({ action: 'key' }), []);
      });

      it('filters by an action prefix ending in a dot, and only at the start of the action', async () => {
        const actions = ['key.create', 'key.rotate', 'key', 'keys.create', 'key-store.create', 'key/x', 'monkey.create', 'workspace.member.add', 'workspace.update'];
        const events = actions.map((action, i) => makeAuditEvent({ at: at(i), action }));
        await audit().insertMany(events);
        const actionsOf = async (query: AuditQuery) => (await audit().list(query)).map((e) => e.action);
        assert.deepEqual(await actionsOf({ action: 'key.' }), ['key.rotate', 'key.create']);
        assert.deepEqual(await actionsOf({ action: 'workspace.member.' }), ['workspace.member.add']);
        assert.deepEqual(await actionsOf({ action: 'workspace.' }), ['workspace.update', 'workspace.member.add']);
        assert.deepEqual(await actionsOf({ action: 'nothing.' }), []);
      });

      it('filters by outcome', async () => {
        const refused = makeAuditEvent({ at: at(1), action: 'auth.failure', outcome: 'refused', code: 'SB_AUTH_INVALID_KEY' });
        const ok = makeAuditEvent({ at: at(0) });
        await audit().insertMany([ok, refused]);
        assert.deepEqual(await ids({ outcome: 'refused' }), [refused.id]);
        assert.deepEqual(await ids({ outcome: 'ok' }), [ok.id]);
      });

      it('filters by target type and id, alone or together', async () => {
        const key = makeAuditEvent({ at: at(0), targetType: 'key', targetId: 'k-1' });
        const sameKey = makeAuditEvent({ at: at(1), targetType: 'key', targetId: 'k-1', action: 'key.revoke' });
        const model = makeAuditEvent({ at: at(2), targetType: 'model', targetId: 'k-1', action: 'model.create' });
        await audit().insertMany([key, sameKey, model, makeAuditEvent({ targetType: 'key', targetId: 'k-2' })]);
        assert.deepEqual(await ids({ targetType: 'key', targetId: 'k-1' }), [sameKey.id, key.id]);
        assert.deepEqual(await ids({ targetId: 'k-1' }), [model.id, sameKey.id, key.id]);
        assert.deepEqual((await audit().list({ targetType: 'model' })).map((e) => e.id), [model.id]);
      });

      it('filters by since (inclusive) and until (exclusive), compared as times whatever the ISO form', async () => {
        const events = series(5);
        await audit().insertMany(events);
        assert.deepEqual(await ids({ since: at(3) }), [events[4]!.id, events[3]!.id]);
        assert.deepEqual(await ids({ until: at(2) }), [events[1]!.id, events[0]!.id]);
        assert.deepEqual(await ids({ since: at(1), until: at(3) }), [events[2]!.id, events[1]!.id]);
        // at(1) and at(3) with an offset.
        assert.deepEqual(await ids({ since: '2025-01-01T02:00:01+02:00', until: '2024-12-31T19:00:03-05:00' }), [events[2]!.id, events[1]!.id]);
        assert.deepEqual(await ids({ since: at(5) }), []);
      });

      it('applies every given filter together', async () => {
        const target = makeAuditEvent({ at: at(10), actorKeyId: 'key-a', workspaceId: 'ws-a', action: 'key.revoke', targetId: 't' });
        const like = { requestId: target.requestId, actorKeyId: 'key-a', workspaceId: 'ws-a', action: 'key.revoke', targetId: 't' };
        await audit().insertMany([
          target,
          makeAuditEvent({ ...like, at: at(1) }),
          makeAuditEvent({ ...like, at: at(11), workspaceId: 'ws-b' }),
          makeAuditEvent({ ...like, at: at(12), action: 'key.create' }),
          makeAuditEvent({ ...like, at: at(13), outcome: 'refused' }),
          makeAuditEvent({ ...like, at: at(14), targetType: 'model' }),
          makeAuditEvent({ ...like, at: at(15), actorKeyId: 'key-b' }),
        ]);
        assert.deepEqual(await ids({ ...like, requestId: target.requestId!, action: 'key.', outcome: 'ok', targetType: 'key', since: at(5), until: at(11) }), [target.id]);
      });
    });

    describe('list order, limit and paging', () => {
      it('orders newest first, whatever the insertion order', async () => {
        const [a, b, c, d] = series(4);
        await audit().insertMany([c!, a!, d!, b!]);
        assert.deepEqual(await ids({}), [d!.id, c!.id, b!.id, a!.id]);
      });

      it('puts the later insert first when times tie', async () => {
        const [first, second, third] = series(3, { at: at(0) });
        await audit().insertMany([first!, second!]);
        await audit().insertMany([third!]);
        assert.deepEqual(await ids({}), [third!.id, second!.id, first!.id]);
      });

      it('answers at most limit events, the newest; 100 when no limit is given', async () => {
        const events = series(101);
        await audit().insertMany(events);
        assert.deepEqual(await ids({ limit: 2 }), [events[100]!.id, events[99]!.id]);
        const listed = await audit().list({});
        assert.equal(listed.length, 100);
        assert.equal(listed.at(-1)?.id, events[1]!.id);
        assert.equal((await audit().list({ limit: 1000 })).length, 101);
      });

      it('pages with before: each page starts right after the last event of the one before, ties included', async () => {
        const events = [...series(3), ...series(3, { at: at(1) }), ...series(2)];
        await audit().insertMany(events);
        const all = await ids({ limit: 1000 });
        const paged: string[] = [];
        let before: string | undefined;
        for (let page = 0; page < 10; page++) {
          const got = await ids({ limit: 3, ...(before === undefined ? {} : { before }) });
          if (got.length === 0) break;
          paged.push(...got);
          before = got.at(-1);
        }
        assert.equal(all.length, events.length);
        assert.deepEqual(paged, all);
      });

      it('pages within a filter', async () => {
        const mine = series(4, { workspaceId: 'ws-a' });
        await audit().insertMany([...mine, ...series(4, { workspaceId: 'ws-b' })]);
        assert.deepEqual(await ids({ workspaceId: 'ws-a', before: mine[2]!.id }), [mine[1]!.id, mine[0]!.id]);
      });
    });

    describe('bad queries', () => {
      it('refuses a since or until that is not a time, naming the field', async () => {
        await assert.rejects(audit().list({ since: 'last tuesday' }), refusedWith('since'));
        await assert.rejects(audit().list({ until: '2025-13-45' }), refusedWith('until'));
      });

      it('refuses a limit out of 1 to 1000 or not a whole number', async () => {
        for (const limit of [0, -1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(audit().list({ limit }), refusedWith('limit'), String(limit));
        }
      });

      it('refuses an outcome that is not one and an empty action', async () => {
        await assert.rejects(audit().list({ outcome: 'maybe' as AuditEvent['outcome'] }), refusedWith('outcome'));
        await assert.rejects(audit().list({ action: '' }), refusedWith('action'));
      });

      it('refuses a before that names no event', async () => {
        await audit().insertMany(series(2));
        await assert.rejects(audit().list({ before: 'no-such-event' }), refusedWith('before'));
      });
    });

    describe('isolation from callers', () => {
      it('is not changed by mutating the inserted objects or the returned ones', async () => {
        const event = makeAuditEvent({ after: { name: 'ci', scopes: ['inference'] } });
        const written: Mutable<AuditEvent> = { ...event, after: { name: 'ci', scopes: ['inference'] } };
        await audit().insertMany([written]);
        written.action = 'key.revoke';
        (written.after as { name: string }).name = 'changed';
        const [read] = (await audit().list({})) as Mutable<AuditEvent>[];
        (read!.after as { scopes: string[] }).scopes.push('admin:write');
        read!.targetType = 'model';
        assert.deepEqual(await audit().list({}), [event]);
      });
    });
  });
}
