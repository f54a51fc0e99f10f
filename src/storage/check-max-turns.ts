/**
 * ResponseStore.conversation's bound, checked alike by every adapter: a whole number ≥ 1, so the walk (a recursive
 * query in SQL) always ends, whatever the stored links.
 */
export function checkMaxTurns(maxTurns: number): number {
  if (!Number.isSafeInteger(maxTurns) || maxTurns < 1) throw new RangeError(`maxTurns must be a whole number ≥ 1, got ${String(maxTurns)}`);
  return maxTurns;
}
