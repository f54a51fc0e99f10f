/** How a configuration version maps to a config_versions row and back, the same in every SQL adapter. */
import type { ConfigVersionQuery, ConfigVersionRecord, ConfigVersionSummary, JsonObject, NewConfigVersion } from '../ports.ts';
import { readJson, readNumber, readText } from './read-column.ts';
import type { Row } from './read-column.ts';
import type { SqlValue } from './sql-value.ts';

export const CONFIG_SUMMARY_COLUMNS = ['version', 'author', 'created_at', 'summary'] as const;
export const CONFIG_COLUMNS = [...CONFIG_SUMMARY_COLUMNS, 'content', 'diff'] as const;

const DEFAULT_LIMIT = 50;

function jsonText(value: unknown, field: string): string {
  const text = JSON.stringify(value);
  if (typeof text !== 'string') throw new TypeError(`config version ${field} is not JSON: ${String(value)}`);
  return text;
}

/** The values in CONFIG_COLUMNS order; content and diff travel as JSON text so they read back exactly as given. */
export function configValues(entry: NewConfigVersion, version: number): SqlValue[] {
  return [version, entry.author, entry.createdAt, entry.summary, jsonText(entry.content, 'content'), jsonText(entry.diff, 'diff')];
}

function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readObject(row: Row, column: string): JsonObject {
  const value = readJson(row, column);
  if (!isJsonObject(value)) throw new TypeError(`column ${column} holds ${JSON.stringify(value)}, expected a JSON object`);
  return value;
}

function readObjectList(row: Row, column: string): JsonObject[] {
  const value = readJson(row, column);
  if (!Array.isArray(value) || !value.every(isJsonObject)) {
    throw new TypeError(`column ${column} holds ${JSON.stringify(value)}, expected a JSON array of objects`);
  }
  return value;
}

export function rowToConfigSummary(row: Row): ConfigVersionSummary {
  return {
    version: readNumber(row, 'version'),
    author: readText(row, 'author'),
    createdAt: readText(row, 'created_at'),
    summary: readText(row, 'summary'),
  };
}

export function rowToConfigVersion(row: Row): ConfigVersionRecord {
  return { ...rowToConfigSummary(row), content: readObject(row, 'content'), diff: readObjectList(row, 'diff') };
}

/**
 * ConfigStore.list's query as two whole numbers for `version < before … LIMIT limit`, answering what the memory
 * adapter answers for the same query (a fractional limit rounds up, a missing before means no bound).
 */
export function configListBounds(query: ConfigVersionQuery): { readonly before: number; readonly limit: number } {
  return { before: wholeBound(query.before ?? Number.POSITIVE_INFINITY), limit: wholeBound(query.limit ?? DEFAULT_LIMIT) };
}

function wholeBound(value: number): number {
  if (Number.isNaN(value)) return 0;
  return Math.max(0, Math.min(Number.MAX_SAFE_INTEGER, Math.ceil(value)));
}
