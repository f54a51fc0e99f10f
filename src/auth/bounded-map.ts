/**
 * Sets `key` in a Map that must hold at most `max` entries: when it is full, the oldest insertion goes first.
 * A Map iterates in insertion order, so the oldest entry is keys().next(): O(1), where clearing the whole map at a
 * limit would send every caller back to the store at once. Reads stay plain Map.get: moving an entry to the end on
 * every hit (true LRU) would cost a delete and a set per request, for little gain with short TTLs.
 */
export function setBounded<K, V>(map: Map<K, V>, max: number, key: K, value: V): void {
  // Map.set keeps an existing key's old position; deleting first makes a refreshed entry the newest.
  if (!map.delete(key) && map.size >= max) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}
