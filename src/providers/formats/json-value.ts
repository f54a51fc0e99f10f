/**
 * Narrowing for parsed JSON. Request and upstream bodies reach the translators with only a few fields
 * checked, so every read of a nested field goes through these instead of trusting the wire types.
 */
export type JsonObject = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function asString(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

export function asRecord(value: unknown): JsonObject {
  return isRecord(value) ? value : {};
}

/** JSON.parse that answers undefined instead of throwing: upstream bytes are not trusted to be JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
