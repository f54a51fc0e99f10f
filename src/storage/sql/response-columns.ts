/**
 * How a StoredResponse maps to a `responses` row and back, and the queries over that table: the same SQL in every
 * SQL adapter, which only says how it writes a parameter and reads a JSON column (ResponseDialect).
 */
import type { StoredResponse } from '../ports.ts';
import { fromResponseRecord, RESPONSE_ORIGINS, toResponseRecord } from '../response-record.ts';
import type { ResponseOwner } from '../response-visible.ts';
import { readNullableText, readNumber, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';
import type { SqlValue } from './sql-value.ts';

/** input_json and response_json hold JSON text (SQLite text, PostgreSQL json), read back as text by both. */
export const RESPONSE_COLUMNS = [
  'id', 'key_id', 'workspace_id', 'previous_response_id', 'model', 'input_json', 'response_json', 'origin',
  'created_at_ms', 'expires_at_ms',
] as const;

type ResponseColumn = (typeof RESPONSE_COLUMNS)[number];

const JSON_COLUMNS: ReadonlySet<ResponseColumn> = new Set(['input_json', 'response_json']);

/** The values in RESPONSE_COLUMNS order; throws (TypeError, RangeError) before any write on a bad response. */
export function responseValues(response: StoredResponse): SqlValue[] {
  const r = toResponseRecord(response);
  return [r.id, r.keyId, r.workspaceId, r.previousResponseId, r.model, r.inputJson, r.responseJson, r.origin, r.createdAtMs, r.expiresAtMs];
}

export function rowToResponse(row: Row): StoredResponse {
  return fromResponseRecord({
    id: readText(row, 'id'),
    keyId: readNullableText(row, 'key_id'),
    workspaceId: readNullableText(row, 'workspace_id'),
    previousResponseId: readNullableText(row, 'previous_response_id'),
    model: readText(row, 'model'),
    inputJson: readText(row, 'input_json'),
    responseJson: readText(row, 'response_json'),
    origin: readOneOf(row, 'origin', RESPONSE_ORIGINS),
    createdAtMs: readNumber(row, 'created_at_ms'),
    expiresAtMs: readNumber(row, 'expires_at_ms'),
  }, 'responses row');
}

/** The named parameters of the queries below, in the order PostgreSQL numbers them (each query uses a prefix). */
export const RESPONSE_PARAMS = ['id', 'owner', 'nowMs', 'maxTurns'] as const;
export type ResponseParam = (typeof RESPONSE_PARAMS)[number];

export interface ResponseDialect {
  /** A named parameter (SQLite `$id`; PostgreSQL `$1`, RESPONSE_PARAMS order). */
  param(name: ResponseParam): string;
  /** The put statement's parameter for RESPONSE_COLUMNS[index] (SQLite `?`; PostgreSQL `$1`…). */
  value(index: number): string;
  /** A JSON column, selected as JSON text (PostgreSQL: `::text`, so pg does not parse it and both decode alike). */
  selectJson(qualified: string, column: string): string;
}

type ByOwner = Readonly<Record<ResponseOwner['by'], string>>;

export interface ResponseQueries {
  /** Parameters: RESPONSE_COLUMNS in order. */
  readonly put: string;
  /** Parameters: id, owner, nowMs. */
  readonly get: ByOwner;
  /** Parameters: id, owner, nowMs, maxTurns. Oldest first. */
  readonly conversation: ByOwner;
  /** Parameters: id, owner. */
  readonly delete: ByOwner;
}

/** responseVisibleTo (response-visible.ts) as a WHERE clause on the row alias `r`. */
function visibleClause(by: ResponseOwner['by'], owner: string): string {
  return by === 'workspace' ? `r.workspace_id = ${owner}` : `r.workspace_id IS NULL AND r.key_id = ${owner}`;
}

function byOwner(sql: (by: ResponseOwner['by']) => string): ByOwner {
  return { workspace: sql('workspace'), key: sql('key') };
}

/** Every query's text, built once per adapter; one text per kind of owner so each is a plain indexed lookup. */
export function responseQueries(d: ResponseDialect): ResponseQueries {
  const select = RESPONSE_COLUMNS.map((c) => (JSON_COLUMNS.has(c) ? d.selectJson(`r.${c}`, c) : `r.${c}`)).join(', ');
  const id = d.param('id');
  const owner = d.param('owner');
  const now = d.param('nowMs');
  return {
    put: `INSERT INTO responses (${RESPONSE_COLUMNS.join(', ')}) VALUES (${RESPONSE_COLUMNS.map((_, i) => d.value(i)).join(', ')})
      ON CONFLICT (id) DO UPDATE SET ${RESPONSE_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}`,
    get: byOwner((by) => `SELECT ${select} FROM responses r WHERE r.id = ${id} AND r.expires_at_ms > ${now} AND ${visibleClause(by, owner)}`),
    // One query walks the chain by primary key, checking expiry and visibility at every step, so it never crosses
    // tenants; the links only (not the JSON) travel through the recursion. MIN(depth) keeps the first visit of a
    // response met again (a cycle, which only replacing can make), as the memory adapter stops at it.
    conversation: byOwner((by) => `WITH RECURSIVE chain (id, previous_response_id, depth) AS (
        SELECT r.id, r.previous_response_id, 1 FROM responses r
          WHERE r.id = ${id} AND r.expires_at_ms > ${now} AND ${visibleClause(by, owner)}
        UNION ALL
        SELECT r.id, r.previous_response_id, chain.depth + 1 FROM chain JOIN responses r ON r.id = chain.previous_response_id
          WHERE chain.depth < ${d.param('maxTurns')} AND r.expires_at_ms > ${now} AND ${visibleClause(by, owner)}
      )
      SELECT ${select} FROM (SELECT id, MIN(depth) AS depth FROM chain GROUP BY id) turn JOIN responses r ON r.id = turn.id
      ORDER BY turn.depth DESC`),
    delete: byOwner((by) => `DELETE FROM responses AS r WHERE r.id = ${id} AND ${visibleClause(by, owner)}`),
  };
}
