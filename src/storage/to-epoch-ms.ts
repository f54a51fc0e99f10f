/**
 * Adapters order and filter times by epoch milliseconds, not by the ISO text: text order breaks as soon as two
 * strings differ in form ("…:00Z" sorts after "…:00.500Z"; "+02:00" offsets sort anywhere).
 */
export function toEpochMs(iso: string, field: string): number {
  const ms = typeof iso === 'string' ? Date.parse(iso) : Number.NaN;
  if (Number.isNaN(ms)) throw new RangeError(`${field} is not an ISO-8601 time: ${JSON.stringify(iso)}`);
  return ms;
}
