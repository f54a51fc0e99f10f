import { checkMaxTurns } from '../check-max-turns.ts';
import type { ResponseScope, ResponseStore } from '../ports.ts';
import { epochMs, fromResponseRecord, toResponseRecord, type ResponseRecord } from '../response-record.ts';
import { responseVisibleTo } from '../response-visible.ts';

/** Responses in a map of JSON-text records (response-record.ts): copies in and out, as the SQL stores give them. */
export function createMemoryResponseStore(assertOpen: () => void): ResponseStore {
  const byId = new Map<string, ResponseRecord>();

  function visible(id: string, scope: ResponseScope, nowMs: number): ResponseRecord | undefined {
    const record = byId.get(id);
    return record !== undefined && record.expiresAtMs > nowMs && responseVisibleTo(record, scope) ? record : undefined;
  }

  return {
    async put(response) {
      assertOpen();
      const record = toResponseRecord(response);
      byId.set(record.id, record);
    },
    async get(id, scope, nowMs) {
      assertOpen();
      const record = visible(id, scope, epochMs(nowMs, 'nowMs'));
      return record && fromResponseRecord(record);
    },
    async conversation(id, scope, nowMs, maxTurns) {
      assertOpen();
      epochMs(nowMs, 'nowMs');
      checkMaxTurns(maxTurns);
      const turns: ResponseRecord[] = [];
      const taken = new Set<string>();
      let next: string | null = id;
      while (next !== null && turns.length < maxTurns && !taken.has(next)) {
        const record = visible(next, scope, nowMs);
        if (record === undefined) break;
        turns.push(record);
        taken.add(next);
        next = record.previousResponseId;
      }
      return turns.length === 0 ? undefined : turns.reverse().map((record) => fromResponseRecord(record));
    },
    async delete(id, scope) {
      assertOpen();
      const record = byId.get(id);
      if (record === undefined || !responseVisibleTo(record, scope)) return false;
      return byId.delete(id);
    },
    async deleteExpired(nowMs) {
      assertOpen();
      epochMs(nowMs, 'nowMs');
      let deleted = 0;
      for (const [id, record] of byId) {
        if (record.expiresAtMs <= nowMs && byId.delete(id)) deleted += 1;
      }
      return deleted;
    },
  };
}
