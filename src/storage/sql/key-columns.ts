/** How an ApiKeyRecord maps to an api_keys row and back, the same in every SQL adapter. */
import { KEY_ROLES, KEY_SCOPES, type BudgetLimits, type KeyScope } from '../../domain/api-key-record.ts';
import type { ApiKeyRecord, KeyRole } from '../ports.ts';
import { toEpochMs } from '../to-epoch-ms.ts';
import { readNullableText, readOneOf, readText } from './read-column.ts';
import type { Row } from './read-column.ts';
import type { SqlValue } from './sql-value.ts';

/**
 * Times are kept twice: the ISO text as given (records read back exactly as written) and epoch milliseconds
 * (*_ms), which ordering and touch compare because ISO text does not sort correctly across forms.
 */
export const KEY_COLUMNS = [
  'id', 'prefix', 'hash', 'name', 'role', 'models', 'created_at', 'created_at_ms', 'revoked_at', 'last_used_at', 'last_used_at_ms',
  'workspace_id', 'scopes', 'expires_at', 'expires_at_ms', 'budget_limits',
] as const;

const ROLES = Object.fromEntries(KEY_ROLES.map((r) => [r, true])) as Record<KeyRole, true>;

/** The record's values in KEY_COLUMNS order; throws RangeError on a time that is not ISO-8601, before any write. */
export function keyValues(record: ApiKeyRecord): SqlValue[] {
  return [
    record.id, record.prefix, record.hash, record.name, record.role,
    // JSON text, so that null (every model) and [] (no model) stay apart.
    record.models === null ? null : JSON.stringify(record.models),
    record.createdAt, toEpochMs(record.createdAt, 'createdAt'), record.revokedAt,
    record.lastUsedAt, record.lastUsedAt === null ? null : toEpochMs(record.lastUsedAt, 'lastUsedAt'),
    record.workspaceId, record.scopes === null ? null : JSON.stringify(record.scopes),
    record.expiresAt, record.expiresAt === null ? null : toEpochMs(record.expiresAt, 'expiresAt'),
    record.budgetLimits === null ? null : JSON.stringify(record.budgetLimits),
  ];
}

function parseModels(json: string | null): string[] | null {
  if (json === null) return null;
  const models: unknown = JSON.parse(json);
  if (!Array.isArray(models) || !models.every((model) => typeof model === 'string')) {
    throw new TypeError(`column models holds ${JSON.stringify(json)}, expected a JSON array of model names`);
  }
  return models;
}

function parseScopes(json: string | null): KeyScope[] | null {
  if (json === null) return null;
  const scopes: unknown = JSON.parse(json);
  if (!Array.isArray(scopes) || !scopes.every((scope) => (KEY_SCOPES as readonly unknown[]).includes(scope))) {
    throw new TypeError(`column scopes holds ${JSON.stringify(json)}, expected a JSON array of ${KEY_SCOPES.join(', ')}`);
  }
  return scopes as KeyScope[];
}

function parseBudget(json: string | null): BudgetLimits | null {
  if (json === null) return null;
  const value: unknown = JSON.parse(json);
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new TypeError(`column budget_limits holds ${JSON.stringify(json)}, expected a JSON object`);
  return value as BudgetLimits;
}

export function rowToKey(row: Row): ApiKeyRecord {
  return {
    id: readText(row, 'id'),
    prefix: readText(row, 'prefix'),
    hash: readText(row, 'hash'),
    name: readText(row, 'name'),
    role: readOneOf(row, 'role', ROLES),
    models: parseModels(readNullableText(row, 'models')),
    workspaceId: readNullableText(row, 'workspace_id'),
    scopes: parseScopes(readNullableText(row, 'scopes')),
    expiresAt: readNullableText(row, 'expires_at'),
    budgetLimits: parseBudget(readNullableText(row, 'budget_limits')),
    createdAt: readText(row, 'created_at'),
    revokedAt: readNullableText(row, 'revoked_at'),
    lastUsedAt: readNullableText(row, 'last_used_at'),
  };
}
