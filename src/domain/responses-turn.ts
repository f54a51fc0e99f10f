/**
 * A Responses API call (POST /v1/responses) on its way through the executor. The executor runs it as the chat
 * completion it translates to (the CallContext's body); this is what the answer needs besides: an upstream that
 * speaks the Responses API itself gets the caller's own request, every other one the chat, and the chat answer
 * is made back into a Response. Plain data, built by the HTTP layer.
 */
export interface ResponsesTurn {
  /** The id a Response made by the gateway gets ("resp_…"); an upstream that speaks the API gives its own. */
  readonly id: string;
  /** Unix seconds, the Response's created_at. */
  readonly createdAt: number;
  /** The request fields a Response repeats (instructions, tools, text, reasoning, metadata …), as JSON. */
  readonly echo: Readonly<Record<string, unknown>>;
  /** The caller's body as parsed and as received: what an upstream that speaks the API is sent. */
  readonly body: Readonly<Record<string, unknown>>;
  readonly raw: Buffer;
  /**
   * The earlier turns the gateway keeps for previous_response_id, as input items (each turn's input, then its
   * output), oldest first; empty without one. An upstream that speaks the API gets them in its input instead of
   * the id: the conversation is the gateway's, whichever provider answered each turn.
   */
  readonly history: readonly unknown[];
  /** This request's own input as items (a string input is one user message). */
  readonly input: readonly unknown[];
  /**
   * The input named, by item_reference, items of responses the gateway made: `input` has them in their place. An
   * upstream that speaks the API never saw those ids, so it gets `input`, not the caller's.
   */
  readonly resolvedFromStore: boolean;
  /**
   * Why the request cannot go as a chat completion (a built-in tool, a file id, an item only OpenAI holds …):
   * only an upstream that speaks the Responses API can serve it, and any other target answers this error.
   * Undefined when the chat carries the whole request.
   */
  readonly untranslatable: Error | undefined;
}
