/**
 * A number in [0, 1) from a string, the same on every replica and every run: sticky assignment hashes
 * "<rule or experiment id>:<key value>" so that one user (or workspace, or session) always lands on the same
 * side of a split. FNV-1a, 32 bits, then a murmur3 finaliser: FNV alone spreads strings that differ only in
 * their last characters poorly ("user-1" … "user-9"), which a split over sequential ids would show.
 */
export function stickyHash(value: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < value.length; i++) {
    h ^= value.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 0x1_0000_0000;
}
