import type { Tree } from '../config/merge-patch.ts';
import type { ModelConfig } from '../config/schema.ts';
import { withBodyPaths } from './body-paths.ts';
import type { AdminChange, ConfigAdmin } from './config-admin.ts';
import { findModel, modelNotFound, rawModelIndex } from './find-model.ts';
import { listOf, nameSlugId } from './section-values.ts';

/**
 * Changes the raw models entry with this id in one version (`meta`: who, the summary, the audit subject):
 * `change` gets a copy and returns the new entry, whose id stays and whose updatedAt is set. Refusals come back
 * relative to the entry, or to the part of it at `bodyAt()` (an endpoint's "endpoints.2") when the request's body
 * was that part.
 */
export async function editModel(admin: ConfigAdmin, id: string, meta: AdminChange, change: (entry: Tree) => Tree, now: () => Date, bodyAt: () => string | undefined = () => undefined): Promise<ModelConfig> {
  let index = 0;
  await withBodyPaths(() => admin.editSection('models', (current) => {
    const list = listOf(current);
    index = rawModelIndex(list, id);
    const entry = list[index];
    if (entry === undefined) throw modelNotFound(id);
    list[index] = { ...change(entry), id: nameSlugId(entry), updatedAt: now().toISOString() };
    return list;
  }, meta), () => {
    const part = bodyAt();
    return part === undefined ? `models.${index}` : `models.${index}.${part}`;
  });
  return findModel(admin.current().config, id);
}
