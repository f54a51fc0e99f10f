import type { GatewayError } from '../../errors/gateway-error.ts';
import { invalidRequest, unsupportedParameter } from './request-errors.ts';

/**
 * Where an input item sits, so that a refusal names the right field. Items of this request are named as the
 * caller wrote them (`input[3].call_id`). Items of the stored conversation (previous_response_id) were not
 * written in this request: the caller can only change which response it continues, so the error names
 * previous_response_id and says which stored item failed.
 */
export class ItemSite {
  /** `input[3]`, or `history[3]` for the 4th stored item. */
  readonly path: string;
  readonly stored: boolean;

  constructor(index: number, stored: boolean) {
    this.path = stored ? `history[${index}]` : `input[${index}]`;
    this.stored = stored;
  }

  /** `param` is a full path under this item (`input[3].content[0].type`). */
  invalid(param: string, message: string): GatewayError {
    return this.stored ? invalidRequest('previous_response_id', storedMessage(param, message)) : invalidRequest(param, message);
  }

  unsupported(param: string, message: string): GatewayError {
    return this.stored ? unsupportedParameter('previous_response_id', storedMessage(param, message)) : unsupportedParameter(param, message);
  }
}

function storedMessage(param: string, message: string): string {
  return `the stored conversation this continues cannot be sent on: ${param}: ${message}`;
}
