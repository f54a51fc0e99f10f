/**
 * Deterministic random lowercase letters for tokenizer tests: no BPE cache hits, so the cost per character is the
 * tokenizer's worst case (~2.3 µs per character, Node 24, dev machine).
 */
export function randomLetters(chars: number, seed: number): string {
  let state = seed >>> 0;
  const out: string[] = [];
  for (let i = 0; i < chars; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out.push(String.fromCharCode(97 + ((state >>> 24) % 26)));
  }
  return out.join('');
}
