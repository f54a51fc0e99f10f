/** How an ApiKeyRecord maps to an api_keys row and back. */
import type { SQLInputValue } from 'node:sqlite';
import type { ApiKeyRecord, KeyRole } from '../ports.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { readNullableText, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';

const KEY_COLUMNS = [
  'id', 'prefix', 'hash', 'name', 'role', 'models', 'created_at', 'created_at_ms', 'revoked_at', 'last_used_at', 'last_used_at_ms',
] as const;
type KeyColumn = (typeof KEY_COLUMNS)[number];

const KEY_ROLES: Record<KeyRole, true> = { admin: true, inference: true };

export const SELECT_KEYS_SQL = `SELECT ${KEY_COLUMNS.join(', ')} FROM api_keys`;
export const INSERT_KEY_SQL = `INSERT INTO api_keys (${KEY_COLUMNS.join(', ')}) VALUES (${KEY_COLUMNS.map((c) => `$${c}`).join(', ')})`;

export function keyToParams(record: ApiKeyRecord): Record<KeyColumn, SQLInputValue> {
  return {
    id: record.id,
    prefix: record.prefix,
    hash: record.hash,
    name: record.name,
    role: record.role,
    models: record.models === null ? null : JSON.stringify(record.models),
    created_at: record.createdAt,
    created_at_ms: toEpochMs(record.createdAt, 'createdAt'),
    revoked_at: record.revokedAt,
    last_used_at: record.lastUsedAt,
    last_used_at_ms: record.lastUsedAt === null ? null : toEpochMs(record.lastUsedAt, 'lastUsedAt'),
  };
}

function parseModels(json: string | null): string[] | null {
  if (json === null) return null;
  const models: unknown = JSON.parse(json);
  if (!Array.isArray(models) || !models.every((model) => typeof model === 'string')) {
    throw new TypeError(`column models holds ${JSON.stringify(json)}, expected a JSON array of model names`);
  }
  return models;
}

export function rowToKey(row: Row): ApiKeyRecord {
  return {
    id: readText(row, 'id'),
    prefix: readText(row, 'prefix'),
    hash: readText(row, 'hash'),
    name: readText(row, 'name'),
    role: readOneOf(row, 'role', KEY_ROLES),
    models: parseModels(readNullableText(row, 'models')),
    createdAt: readText(row, 'created_at'),
    revokedAt: readNullableText(row, 'revoked_at'),
    lastUsedAt: readNullableText(row, 'last_used_at'),
  };
}
