/**
 * Power of two choices: two distinct candidates at random, the lower score wins (a tie goes to the first
 * drawn). Nearly as good as always taking the best, without sending every request to it at once (herding).
 * Filter out unavailable candidates first.
 */
export function chooseP2C<T>(candidates: readonly T[], score: (c: T) => number, random: () => number = Math.random): T | undefined {
  const n = candidates.length;
  if (n <= 1) return candidates[0];
  const i = pick(random, n);
  let j = pick(random, n - 1);
  // j drawn from the n - 1 others: shift past i so that both are distinct and uniform.
  if (j >= i) j++;
  const a = candidates[i] as T;
  const b = candidates[j] as T;
  return score(b) < score(a) ? b : a;
}

function pick(random: () => number, n: number): number {
  // min(): a random() that returns 1 (a test double) stays in range.
  return Math.min(n - 1, Math.floor(random() * n));
}
