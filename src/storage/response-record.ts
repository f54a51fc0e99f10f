import type { StoredResponse } from './ports.ts';

/**
 * A StoredResponse as every ResponseStore keeps it: input and response as JSON text, so that every read parses
 * its own copy (no caller can reach the stored state) and the memory adapter answers what the SQL ones do.
 */
export interface ResponseRecord extends Omit<StoredResponse, 'input' | 'response'> {
  readonly inputJson: string;
  readonly responseJson: string;
}

export const RESPONSE_ORIGINS: Readonly<Record<StoredResponse['origin'], true>> = { gateway: true, upstream: true };

/** A text column's value: PostgreSQL text cannot hold U+0000, so every adapter refuses it alike. */
function text(value: unknown, field: string): string {
  if (typeof value !== 'string') throw new TypeError(`stored response ${field} must be a string`);
  if (value.includes('\u0000')) throw new TypeError(`stored response ${field} must not contain U+0000`);
  return value;
}

function nullableText(value: unknown, field: string): string | null {
  return value === null ? null : text(value, field);
}

/** An epoch-ms argument or field: a whole number, as the bigint columns hold it. */
export function epochMs(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new RangeError(`${field} must be a whole number of epoch milliseconds`);
  return value;
}

function jsonText(value: unknown, field: string): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`stored response ${field} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof json !== 'string') throw new TypeError(`stored response ${field} is not JSON`);
  return json;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Checks every field and serialises the JSON ones; throws (TypeError, RangeError) before anything is stored. */
export function toResponseRecord(response: StoredResponse): ResponseRecord {
  if (!Array.isArray(response.input)) throw new TypeError('stored response input must be an array of items');
  if (!isObject(response.response)) throw new TypeError('stored response response must be a JSON object');
  if (!Object.hasOwn(RESPONSE_ORIGINS, response.origin)) throw new TypeError('stored response origin must be "gateway" or "upstream"');
  const id = text(response.id, 'id');
  if (id === '') throw new TypeError('stored response id must not be empty');
  return {
    id,
    keyId: nullableText(response.keyId, 'keyId'),
    workspaceId: nullableText(response.workspaceId, 'workspaceId'),
    previousResponseId: nullableText(response.previousResponseId, 'previousResponseId'),
    model: text(response.model, 'model'),
    origin: response.origin,
    createdAtMs: epochMs(response.createdAtMs, 'createdAtMs'),
    expiresAtMs: epochMs(response.expiresAtMs, 'expiresAtMs'),
    inputJson: jsonText(response.input, 'input'),
    responseJson: jsonText(response.response, 'response'),
  };
}

/** The response a record holds; `where` names the record's place in errors (a damaged row). */
export function fromResponseRecord(record: ResponseRecord, where = 'stored response'): StoredResponse {
  const input: unknown = JSON.parse(record.inputJson);
  const response: unknown = JSON.parse(record.responseJson);
  if (!Array.isArray(input)) throw new TypeError(`${where} ${record.id}: input is not a JSON array`);
  if (!isObject(response)) throw new TypeError(`${where} ${record.id}: response is not a JSON object`);
  return {
    id: record.id,
    keyId: record.keyId,
    workspaceId: record.workspaceId,
    previousResponseId: record.previousResponseId,
    model: record.model,
    input,
    response,
    origin: record.origin,
    createdAtMs: record.createdAtMs,
    expiresAtMs: record.expiresAtMs,
  };
}
