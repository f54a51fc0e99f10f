import { GatewayError } from '../errors/gateway-error.ts';
import type { Principal } from '../domain/principal.ts';

/**
 * Whether a caller may use a model, by the name it sent or by the "provider/model" it resolves to. A key
 * without a model list may use every model.
 */
export function mayUseModel(principal: Principal, requested: string, provider: string | undefined, model: string | undefined): boolean {
  const allowed = principal.models;
  if (allowed === null || allowed.has(requested)) return true;
  return provider !== undefined && allowed.has(`${provider}/${model ?? ''}`);
}

/** Throws SB_MODEL_NOT_ALLOWED (param "model") when the caller may not use the model. */
export function assertModelAllowed(principal: Principal, requested: string, provider: string | undefined, model: string | undefined): void {
  if (!mayUseModel(principal, requested, provider, model)) {
    throw new GatewayError('SB_MODEL_NOT_ALLOWED', { param: 'model', message: `This key may not use model "${requested.slice(0, 200)}".` });
  }
}
