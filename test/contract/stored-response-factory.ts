import { randomBytes } from 'node:crypto';
import type { StoredResponse } from '../../src/storage/ports.ts';

/** The time the response tests take as now (epoch ms); responses made here expire a day after it. */
export const RESPONSE_NOW_MS = Date.parse('2025-01-01T00:00:00.000Z');
export const DAY_MS = 86_400_000;

/**
 * A valid stored response of workspace "ws-a", made by key "key-a" through a translated call; override what a
 * test cares about. The id is fresh on every call, in the API's shape.
 */
export function makeStoredResponse(overrides: Partial<StoredResponse> = {}): StoredResponse {
  const id = overrides.id ?? `resp_${randomBytes(24).toString('hex')}`;
  return {
    id,
    keyId: 'key-a',
    workspaceId: 'ws-a',
    previousResponseId: null,
    model: 'gpt-4o-mini',
    input: [{ type: 'message', role: 'user', content: 'Hello' }],
    response: {
      id, object: 'response', status: 'completed', model: 'gpt-4o-mini',
      output: [{ type: 'message', id: 'msg_1', role: 'assistant', content: [{ type: 'output_text', text: 'Hi', annotations: [] }] }],
    },
    origin: 'gateway',
    createdAtMs: RESPONSE_NOW_MS - 1000,
    expiresAtMs: RESPONSE_NOW_MS + DAY_MS,
    ...overrides,
  };
}

/** `n` responses, each continuing the one before, oldest first. */
export function makeConversation(n: number, overrides: Partial<StoredResponse> = {}): StoredResponse[] {
  const turns: StoredResponse[] = [];
  for (let i = 0; i < n; i += 1) {
    turns.push(makeStoredResponse({ previousResponseId: turns.at(-1)?.id ?? null, createdAtMs: RESPONSE_NOW_MS - (n - i) * 1000, ...overrides }));
  }
  return turns;
}
