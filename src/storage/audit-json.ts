/**
 * An audit event's before or after as the stores keep it: JSON text, or null for null and undefined. Throws
 * TypeError for a value JSON cannot hold (a bigint, a function, a cycle), so a batch is refused before any write.
 */
export function auditJson(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TypeError(`audit event ${field} is not JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  if (typeof text !== 'string') throw new TypeError(`audit event ${field} is not JSON: ${typeof value}`);
  return text;
}

/** What a store reads back for `text` (JSON text or null). */
export function fromAuditJson(text: string | null): unknown {
  return text === null ? null : JSON.parse(text);
}
