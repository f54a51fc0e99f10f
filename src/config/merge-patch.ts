/**
 * JSON Merge Patch (RFC 7386), the one rule by which configuration layers combine: objects merge key by key,
 * `null` removes a key, anything else (a list included) replaces what was there. Neither input is changed.
 */
export type Tree = Record<string, unknown>;

export function isTree(value: unknown): value is Tree {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isTree(patch)) return structuredClone(patch);
  const base: Tree = isTree(target) ? target : {};
  const out: Tree = {};
  for (const [key, value] of Object.entries(base)) if (!(key in patch)) out[key] = value;
  for (const [key, value] of Object.entries(patch)) if (value !== null) out[key] = mergePatch(base[key], value);
  return out;
}

/** Merges layers in order, later ones winning; always answers a fresh tree. */
export function mergeLayers(layers: readonly Tree[]): Tree {
  let out: Tree = {};
  for (const layer of layers) out = mergePatch(out, layer) as Tree;
  return out;
}

/**
 * The patch that turns `lower` into exactly `wanted` when merged over it: what `wanted` lacks becomes null. Imports
 * use it so that an imported section replaces what the file had instead of merging with it.
 */
export function patchTo(lower: unknown, wanted: unknown): unknown {
  if (!isTree(wanted) || !isTree(lower)) return structuredClone(wanted);
  const out: Tree = {};
  for (const key of Object.keys(lower)) if (!(key in wanted)) out[key] = null;
  for (const [key, value] of Object.entries(wanted)) out[key] = patchTo(lower[key], value);
  return out;
}
