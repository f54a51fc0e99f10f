import { isTree, type Tree } from '../config/merge-patch.ts';
import { slugOf } from '../config/routing-schemas.ts';

/**
 * The raw value of a shared section as ConfigAdmin.editSection hands it over (the layers merged, not yet
 * validated): a list of entries, or a record. Unset, or something the validation will refuse anyway, is empty.
 */
export function listOf(section: unknown): Tree[] {
  return Array.isArray(section) ? section.map((entry) => (isTree(entry) ? entry : {})) : [];
}

export function recordOf(section: unknown): Record<string, Tree> {
  if (!isTree(section)) return {};
  const out: Record<string, Tree> = {};
  for (const [key, value] of Object.entries(section)) out[key] = isTree(value) ? value : {};
  return out;
}

/** A shallow patch: each given field replaces the entry's, null removes it (back to its default). */
export function patched(entry: Tree, patch: Readonly<Record<string, unknown>>): Tree {
  const removed = new Set(Object.keys(patch).filter((key) => patch[key] === null));
  const out: Tree = Object.fromEntries(Object.entries(entry).filter(([key]) => !removed.has(key)));
  for (const [key, value] of Object.entries(patch)) if (value !== null) out[key] = value;
  return out;
}

/**
 * The id of a raw entry of a list section whose default id is its name's slug (models, rules, experiments): its
 * own, else that slug, as the section's schema gives it.
 */
export function nameSlugId(entry: Tree): string {
  return typeof entry.id === 'string' ? entry.id : slugOf(typeof entry.name === 'string' ? entry.name : '');
}

/** The raw entries with their ids written out, so an edit keeps each entry's id. */
export function withNameIds(list: readonly Tree[]): Array<Tree & { id: string }> {
  return list.map((entry) => ({ ...entry, id: nameSlugId(entry) }));
}
