import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResponseScope, StoredResponse } from '../../src/storage/ports.ts';
import { DAY_MS, makeConversation, makeStoredResponse, RESPONSE_NOW_MS as NOW } from './stored-response-factory.ts';
import { useFreshStorage } from './use-fresh-storage.ts';
import type { MakeStorage } from './use-fresh-storage.ts';

/** Key "key-a" of workspace "ws-a": the owner of what makeStoredResponse makes. */
const WS_A: ResponseScope = { keyId: 'key-a', workspaceId: 'ws-a' };
/** Another key of the same workspace. */
const WS_A_OTHER_KEY: ResponseScope = { keyId: 'key-b', workspaceId: 'ws-a' };
/** A JWT principal of the same workspace: no key record. */
const WS_A_NO_KEY: ResponseScope = { keyId: null, workspaceId: 'ws-a' };
const WS_B: ResponseScope = { keyId: 'key-c', workspaceId: 'ws-b' };
/** Keys outside workspaces (e.g. admin keys). */
const KEY_X: ResponseScope = { keyId: 'key-x', workspaceId: null };
const KEY_Y: ResponseScope = { keyId: 'key-y', workspaceId: null };
const NOBODY: ResponseScope = { keyId: null, workspaceId: null };

const MAX = 100;

/** A value with every JSON type, nesting, escapes and non-ASCII text. */
const NESTED = {
  text: 'é ✓ "quoted" \\ back\nslash \u0000 nul 😀 \ud800 lone',
  numbers: [0, -1, 2.5, 1e21, -3e-7, Number.MAX_SAFE_INTEGER],
  flags: [true, false, null],
  deep: { a: { b: { c: [[], {}, [{ d: 'e' }]] } } },
  empty: '',
};

const ids = (turns: readonly StoredResponse[] | undefined): string[] | undefined => turns?.map((t) => t.id);

/** The ResponseStore port's semantics; every storage adapter runs this suite (test/contract/storage.contract.test.ts). */
export function runResponseStoreContract(name: string, make: MakeStorage): void {
  describe(`ResponseStore contract: ${name}`, () => {
    const storage = useFreshStorage(make);
    const responses = () => storage().responses;
    const putAll = async (all: readonly StoredResponse[]): Promise<void> => {
      for (const response of all) await responses().put(response);
    };

    describe('put and get', () => {
      it('returns every field as written, nested JSON equal', async () => {
        const response = makeStoredResponse({
          previousResponseId: 'resp_earlier', origin: 'upstream',
          input: [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }, NESTED, 'a string item', 42, null],
          response: { id: 'resp_x', output: [NESTED], usage: { input_tokens: 3, output_tokens: 5 }, metadata: {} },
        });
        await responses().put(response);
        assert.deepEqual(await responses().get(response.id, WS_A, NOW), response);
      });

      it('round-trips a response without a key (a JWT principal) and one without a workspace', async () => {
        const noKey = makeStoredResponse({ keyId: null });
        const noWorkspace = makeStoredResponse({ keyId: 'key-x', workspaceId: null });
        await putAll([noKey, noWorkspace]);
        assert.deepEqual(await responses().get(noKey.id, WS_A_NO_KEY, NOW), noKey);
        assert.deepEqual(await responses().get(noWorkspace.id, KEY_X, NOW), noWorkspace);
      });

      it('answers undefined for an id never stored', async () => {
        assert.equal(await responses().get('resp_missing', WS_A, NOW), undefined);
      });

      it('replaces a response stored under the same id', async () => {
        const first = makeStoredResponse();
        const second = makeStoredResponse({ id: first.id, model: 'gpt-4o', input: [], response: { id: first.id, status: 'incomplete' }, origin: 'upstream', expiresAtMs: NOW + 2 * DAY_MS });
        await responses().put(first);
        await responses().put(second);
        assert.deepEqual(await responses().get(first.id, WS_A, NOW), second);
        assert.deepEqual(await responses().conversation(first.id, WS_A, NOW, MAX), [second]);
      });

      it('copies in and out: changing what was put or what was read changes nothing stored', async () => {
        const input: unknown[] = [{ type: 'message', content: 'original' }];
        const response = makeStoredResponse({ input, response: { output: [{ text: 'original' }] } });
        await responses().put(response);
        input.push('added');
        const read = await responses().get(response.id, WS_A, NOW);
        assert.ok(read);
        (read.input as unknown[]).push('added');
        ((read.response.output as Array<{ text: string }>)[0]!).text = 'changed';
        assert.deepEqual(await responses().get(response.id, WS_A, NOW), { ...response, input: [{ type: 'message', content: 'original' }] });
      });

      it('round-trips a large input (1 MB of text) through get and conversation', async () => {
        const text = 'x'.repeat(1024 * 1024);
        const big = makeStoredResponse({ input: [{ type: 'message', role: 'user', content: text }], response: { id: 'r', output: [{ text }] } });
        const next = makeStoredResponse({ previousResponseId: big.id });
        await putAll([big, next]);
        assert.deepEqual(await responses().get(big.id, WS_A, NOW), big);
        assert.deepEqual(await responses().conversation(next.id, WS_A, NOW, MAX), [big, next]);
      });

      it('refuses, storing nothing, a response it cannot keep as given', async () => {
        const base = makeStoredResponse();
        const bad: Array<[Partial<StoredResponse>, ErrorConstructor]> = [
          [{ input: 'text' as unknown as unknown[] }, TypeError],
          [{ response: [] as unknown as Record<string, unknown> }, TypeError],
          [{ response: { n: 1n } }, TypeError],
          [{ origin: 'elsewhere' as StoredResponse['origin'] }, TypeError],
          [{ model: 'gpt\u0000' }, TypeError],
          [{ keyId: 'key\u0000' }, TypeError],
          [{ createdAtMs: 1.5 }, RangeError],
          [{ expiresAtMs: Number.NaN }, RangeError],
        ];
        for (const [override, type] of bad) await assert.rejects(responses().put({ ...base, ...override }), type, JSON.stringify(Object.keys(override)));
        await assert.rejects(responses().put({ ...base, id: '' }), TypeError);
        await assert.rejects(responses().put({ ...base, id: 'resp_\u0000' }), TypeError);
        assert.equal(await responses().get(base.id, WS_A, NOW), undefined);
        assert.equal(await responses().deleteExpired(NOW + 365 * DAY_MS), 0);
      });

      it('answers undefined (never an error) for an id or scope holding U+0000', async () => {
        await responses().put(makeStoredResponse());
        assert.equal(await responses().get('resp_\u0000', WS_A, NOW), undefined);
        assert.equal(await responses().get('resp_x', { keyId: null, workspaceId: 'ws\u0000' }, NOW), undefined);
        assert.equal(await responses().conversation('resp_\u0000', WS_A, NOW, MAX), undefined);
        assert.equal(await responses().delete('resp_\u0000', KEY_X), false);
      });

      it('refuses a time that is not whole epoch milliseconds', async () => {
        await assert.rejects(responses().get('resp_x', WS_A, 1.5), RangeError);
        await assert.rejects(responses().conversation('resp_x', WS_A, Number.NaN, MAX), RangeError);
        await assert.rejects(responses().deleteExpired(Number.POSITIVE_INFINITY), RangeError);
      });
    });

    describe('visibility', () => {
      it('shows a workspace\'s response to every caller of that workspace, whichever key made it', async () => {
        const response = makeStoredResponse();
        await responses().put(response);
        assert.deepEqual(await responses().get(response.id, WS_A_OTHER_KEY, NOW), response);
        assert.deepEqual(await responses().get(response.id, WS_A_NO_KEY, NOW), response);
        assert.deepEqual(await responses().conversation(response.id, WS_A_OTHER_KEY, NOW, MAX), [response]);
        assert.equal(await responses().delete(response.id, WS_A_OTHER_KEY), true);
        assert.equal(await responses().get(response.id, WS_A, NOW), undefined);
      });

      it('hides a workspace\'s response from another workspace, and from the same key outside it', async () => {
        const response = makeStoredResponse();
        await responses().put(response);
        for (const scope of [WS_B, { keyId: 'key-a', workspaceId: 'ws-b' }, { keyId: 'key-a', workspaceId: null }, NOBODY]) {
          assert.equal(await responses().get(response.id, scope, NOW), undefined, JSON.stringify(scope));
          assert.equal(await responses().conversation(response.id, scope, NOW, MAX), undefined, JSON.stringify(scope));
          assert.equal(await responses().delete(response.id, scope), false, JSON.stringify(scope));
        }
        assert.deepEqual(await responses().get(response.id, WS_A, NOW), response, 'still there for its workspace');
      });

      it('shows a response made outside workspaces only to the same key, outside workspaces', async () => {
        const response = makeStoredResponse({ keyId: 'key-x', workspaceId: null });
        await responses().put(response);
        assert.deepEqual(await responses().get(response.id, KEY_X, NOW), response);
        for (const scope of [KEY_Y, { keyId: 'key-x', workspaceId: 'ws-a' }, NOBODY]) {
          assert.equal(await responses().get(response.id, scope, NOW), undefined, JSON.stringify(scope));
          assert.equal(await responses().conversation(response.id, scope, NOW, MAX), undefined, JSON.stringify(scope));
          assert.equal(await responses().delete(response.id, scope), false, JSON.stringify(scope));
        }
        assert.equal(await responses().delete(response.id, KEY_X), true);
      });

      it('shows a response with neither key nor workspace to nobody: null never matches null', async () => {
        const response = makeStoredResponse({ keyId: null, workspaceId: null });
        await responses().put(response);
        for (const scope of [NOBODY, KEY_X, WS_A]) {
          assert.equal(await responses().get(response.id, scope, NOW), undefined, JSON.stringify(scope));
          assert.equal(await responses().delete(response.id, scope), false, JSON.stringify(scope));
        }
        assert.equal(await responses().deleteExpired(response.expiresAtMs), 1, 'retention still deletes it');
      });
    });

    describe('expiry and retention', () => {
      it('answers undefined once expired (expiresAtMs <= now), and the response while not', async () => {
        const response = makeStoredResponse({ expiresAtMs: NOW + 10 });
        await responses().put(response);
        assert.deepEqual(await responses().get(response.id, WS_A, NOW + 9), response);
        assert.equal(await responses().get(response.id, WS_A, NOW + 10), undefined);
        assert.equal(await responses().conversation(response.id, WS_A, NOW + 10, MAX), undefined);
      });

      it('deletes every expired response, whatever its owner, counts them, and keeps the others', async () => {
        const expired = [
          makeStoredResponse({ expiresAtMs: NOW - DAY_MS }),
          makeStoredResponse({ expiresAtMs: NOW, workspaceId: 'ws-b' }),
          makeStoredResponse({ expiresAtMs: NOW - 1, keyId: 'key-x', workspaceId: null }),
        ];
        const kept = [makeStoredResponse({ expiresAtMs: NOW + 1 }), makeStoredResponse({ expiresAtMs: NOW + DAY_MS })];
        await putAll([...expired, ...kept]);
        assert.equal(await responses().deleteExpired(NOW), 3);
        assert.equal(await responses().deleteExpired(NOW), 0);
        for (const response of kept) assert.deepEqual(await responses().get(response.id, WS_A, NOW), response);
        // Gone, not only hidden: a clock set back does not bring them back.
        assert.equal(await responses().get(expired[0]!.id, WS_A, NOW - 2 * DAY_MS), undefined);
      });

      it('deletes more expired responses than one batch holds', async () => {
        const many = Array.from({ length: 250 }, (_, i) => makeStoredResponse({ expiresAtMs: NOW - i, input: [], response: {} }));
        const kept = makeStoredResponse();
        await putAll([...many, kept]);
        assert.equal(await responses().deleteExpired(NOW), 250);
        assert.deepEqual(await responses().get(kept.id, WS_A, NOW), kept);
      });
    });

    describe('conversation', () => {
      it('answers a first turn alone', async () => {
        const [only] = makeConversation(1);
        await responses().put(only!);
        assert.deepEqual(await responses().conversation(only!.id, WS_A, NOW, MAX), [only]);
      });

      it('answers every turn, oldest first, ending at the id asked for', async () => {
        const turns = makeConversation(3);
        await putAll([...turns].reverse());
        assert.deepEqual(await responses().conversation(turns[2]!.id, WS_A, NOW, MAX), turns);
        assert.deepEqual(await responses().conversation(turns[1]!.id, WS_A, NOW, MAX), turns.slice(0, 2), 'a turn in the middle ends there');
      });

      it('answers only the newest maxTurns turns', async () => {
        const turns = makeConversation(5);
        await putAll(turns);
        assert.deepEqual(ids(await responses().conversation(turns[4]!.id, WS_A, NOW, 2)), ids(turns.slice(3)));
        assert.deepEqual(ids(await responses().conversation(turns[4]!.id, WS_A, NOW, 1)), [turns[4]!.id]);
        assert.deepEqual(ids(await responses().conversation(turns[4]!.id, WS_A, NOW, 5)), ids(turns));
      });

      it('refuses a maxTurns that is not a whole number ≥ 1', async () => {
        for (const maxTurns of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
          await assert.rejects(responses().conversation('resp_x', WS_A, NOW, maxTurns), RangeError, String(maxTurns));
        }
      });

      it('answers undefined when the id itself is missing, expired or another tenant\'s', async () => {
        const expired = makeStoredResponse({ expiresAtMs: NOW });
        const other = makeStoredResponse({ workspaceId: 'ws-b' });
        await putAll([expired, other]);
        assert.equal(await responses().conversation('resp_missing', WS_A, NOW, MAX), undefined);
        assert.equal(await responses().conversation(expired.id, WS_A, NOW, MAX), undefined);
        assert.equal(await responses().conversation(other.id, WS_A, NOW, MAX), undefined);
      });

      it('stops at a link that is missing', async () => {
        const turns = makeConversation(3);
        await putAll(turns.slice(1));
        assert.deepEqual(await responses().conversation(turns[2]!.id, WS_A, NOW, MAX), turns.slice(1));
      });

      it('stops at a link that has expired', async () => {
        const [first, ...rest] = makeConversation(3);
        await putAll([{ ...first!, expiresAtMs: NOW }, ...rest]);
        assert.deepEqual(await responses().conversation(rest[1]!.id, WS_A, NOW, MAX), rest);
      });

      it('stops at a link of another tenant: a conversation never crosses workspaces or keys', async () => {
        const [first, ...rest] = makeConversation(3);
        await putAll([{ ...first!, workspaceId: 'ws-b' }, ...rest]);
        assert.deepEqual(await responses().conversation(rest[1]!.id, WS_A, NOW, MAX), rest);
        const [keyFirst, ...keyRest] = makeConversation(3, { keyId: 'key-x', workspaceId: null });
        await putAll([{ ...keyFirst!, keyId: 'key-y' }, ...keyRest]);
        assert.deepEqual(await responses().conversation(keyRest[1]!.id, KEY_X, NOW, MAX), keyRest);
      });

      it('follows turns made by other keys of the same workspace', async () => {
        const turns = makeConversation(3).map((turn, i) => ({ ...turn, keyId: i === 1 ? 'key-b' : 'key-a' }));
        await putAll(turns);
        assert.deepEqual(await responses().conversation(turns[2]!.id, WS_A_OTHER_KEY, NOW, MAX), turns);
      });

      it('takes each response once when replacing has made a cycle', async () => {
        const a = makeStoredResponse();
        const b = makeStoredResponse({ previousResponseId: a.id });
        await putAll([b, { ...a, previousResponseId: b.id }]);
        assert.deepEqual(ids(await responses().conversation(a.id, WS_A, NOW, MAX)), [b.id, a.id]);
        assert.deepEqual(ids(await responses().conversation(a.id, WS_A, NOW, 2)), [b.id, a.id]);
        const self = makeStoredResponse();
        await responses().put({ ...self, previousResponseId: self.id });
        assert.deepEqual(ids(await responses().conversation(self.id, WS_A, NOW, MAX)), [self.id]);
      });
    });

    describe('delete', () => {
      it('deletes a visible response once: get and conversation then answer undefined', async () => {
        const turns = makeConversation(2);
        await putAll(turns);
        assert.equal(await responses().delete(turns[0]!.id, WS_A), true);
        assert.equal(await responses().get(turns[0]!.id, WS_A, NOW), undefined);
        assert.equal(await responses().delete(turns[0]!.id, WS_A), false);
        assert.deepEqual(await responses().conversation(turns[1]!.id, WS_A, NOW, MAX), [turns[1]], 'the later turn stays, alone');
      });

      it('answers false for an id never stored', async () => {
        assert.equal(await responses().delete('resp_missing', WS_A), false);
      });
    });
  });
}
