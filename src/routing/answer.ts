import type { Writable } from 'node:stream';

/** A complete JSON answer, ready to send. */
export interface JsonAnswer {
  readonly kind: 'json';
  readonly status: number;
  readonly body: string | Buffer;
  /** Upstream response headers the caller may see (upstream/forwarded-headers.ts). */
  readonly headers: Readonly<Record<string, string>>;
  /** "provider/model" that answered, and how many attempts the request took (x-switchboard-target, -attempts). */
  readonly target: string;
  /** The served model's id and the rule that chose it (x-switchboard-model, x-switchboard-rule). */
  readonly model: string;
  readonly rule: string | null;
  readonly attempts: number;
  /** Called once the answer was handed to the connection: writes its usage records. */
  readonly settle: () => void;
  /** A Responses call's Response object (what the gateway stores for previous_response_id). */
  readonly response?: Readonly<Record<string, unknown>> | undefined;
}

/** A streamed answer: the HTTP layer sends the headers, then hands the response to `pipeTo`. */
export interface StreamAnswer {
  readonly kind: 'stream';
  readonly headers: Readonly<Record<string, string>>;
  readonly target: string;
  readonly model: string;
  readonly rule: string | null;
  readonly attempts: number;
  /**
   * Writes the event stream into `sink` and resolves when it ended (normally, with an error event, or aborted):
   * for a Responses call, with the Response the stream ended with, when it got that far.
   */
  pipeTo(sink: Writable): Promise<Readonly<Record<string, unknown>> | undefined>;
}

export type Answer = JsonAnswer | StreamAnswer;
