import type { GatewayError } from '../../errors/gateway-error.ts';

/**
 * What the translation of a Responses request to a chat completion cannot carry: a built-in tool or its call
 * items, a file id, background, prompt templates, an item_reference to an item only OpenAI holds (an id of
 * OpenAI's own, which the gateway never stored). Such a request is still well formed, and an upstream that speaks
 * the Responses API serves it as it came; only a chat upstream cannot.
 *
 * Strict (the default), a refusal is thrown where it is found. Lenient, the first one is kept and the refused part
 * left out of the chat, so that the chat can still serve routing and the request go on to a target: one that
 * speaks the API gets the caller's request, any other the kept refusal (buildUpstreamCall). Malformed input is
 * never a refusal: it is thrown either way.
 */
export class TranslationRefusals {
  readonly #lenient: boolean;
  #first: GatewayError | undefined;

  constructor(lenient: boolean) {
    this.#lenient = lenient;
  }

  /** Throws `err` when strict; when lenient keeps it (the first one) and returns, the caller leaving the part out. */
  refuse(err: GatewayError): void {
    if (!this.#lenient) throw err;
    this.#first ??= err;
  }

  /** The first refusal; undefined while the chat holds everything. */
  get first(): GatewayError | undefined {
    return this.#first;
  }

  /**
   * Something was left out, so checks over the whole conversation cannot hold (a function_call_output whose call
   * is an item the gateway could not read, a tool_choice "required" whose only tools are built-in ones).
   */
  get any(): boolean {
    return this.#first !== undefined;
  }
}

/** Throws every refusal: what a caller gets when it does not ask for leniency. */
export const STRICT: TranslationRefusals = new TranslationRefusals(false);
