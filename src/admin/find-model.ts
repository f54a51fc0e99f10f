import type { Tree } from '../config/merge-patch.ts';
import type { Config, ModelConfig } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { nameSlugId } from './section-values.ts';

/** The models entry a path names: by id, then by name or alias. SB_MODEL_NOT_FOUND when none. */
export function findModel(config: Config, ref: string): ModelConfig {
  const model = lookupModel(config, ref);
  if (model === undefined) throw modelNotFound(ref);
  return model;
}

/** findModel without the error: undefined when nothing has this id, name or alias. */
export function lookupModel(config: Config, ref: string): ModelConfig | undefined {
  return config.models.find((m) => m.id === ref) ?? config.models.find((m) => m.name === ref || m.aliases.includes(ref));
}

/** Its index in the raw section (entries without an id have their name's slug). -1 when none. */
export function rawModelIndex(list: readonly Tree[], id: string): number {
  return list.findIndex((m) => nameSlugId(m) === id);
}

export function modelNotFound(ref: string): GatewayError {
  return new GatewayError('SB_MODEL_NOT_FOUND', { message: `No registered model has the id, name or alias "${ref.slice(0, 200)}". GET /api/models lists them.` });
}
