import { GatewayError } from '../../errors/gateway-error.ts';

/** A malformed field of the caller's body: 400 naming the field in dotted form. */
export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError('SB_INVALID_REQUEST', { param, message: `${param}: ${message}` });
}

/** A well-formed field the upstream dialect cannot express. */
export function unsupportedParameter(param: string, message: string): GatewayError {
  return new GatewayError('SB_UNSUPPORTED_PARAMETER', { param, message: `${param}: ${message}` });
}

/** The target a refusal names: the caller learns where it was going, the operator which config entry to change. */
export interface RefusingTarget {
  /** Upstream model id. */
  readonly model: string;
  /** Configured provider name; unknown when a translator is called on its own. */
  readonly provider: string | undefined;
}

/**
 * A parameter the target cannot honour and the operator has not chosen to drop. `name` is the top-level name
 * dropParams takes, `param` the dotted path at fault, `reason` a clause such as "Anthropic has no seed".
 */
export function untranslatable(target: RefusingTarget, name: string, param: string, reason: string): GatewayError {
  const where = target.provider === undefined ? `model "${target.model}"` : `model "${target.model}" (provider "${target.provider}")`;
  return unsupportedParameter(param, `${reason}, so ${where} cannot honour it. Remove it, or list "${name}" in dropParams of that provider or model in the gateway config to have it dropped.`);
}

/** The upstream answered 2xx with a body its own API would never produce. */
export function badUpstreamResponse(message: string): GatewayError {
  return new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message });
}
