import { GatewayError } from '../../errors/gateway-error.ts';

/** A malformed field of the caller's body: 400 naming the field in dotted form. */
export function invalidRequest(param: string, message: string): GatewayError {
  return new GatewayError('SB_INVALID_REQUEST', { param, message: `${param}: ${message}` });
}

/** A well-formed field the upstream dialect cannot express. */
export function unsupportedParameter(param: string, message: string): GatewayError {
  return new GatewayError('SB_UNSUPPORTED_PARAMETER', { param, message: `${param}: ${message}` });
}

/** The upstream answered 2xx with a body its own API would never produce. */
export function badUpstreamResponse(message: string): GatewayError {
  return new GatewayError('SB_UPSTREAM_BAD_RESPONSE', { message });
}
