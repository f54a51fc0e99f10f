/** `base`, else base-2, base-3 … : the first one not taken (ids are at most 200 characters). */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  if (!taken.has(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const id = `${base.slice(0, 200 - suffix.length)}${suffix}`;
    if (!taken.has(id)) return id;
  }
}
