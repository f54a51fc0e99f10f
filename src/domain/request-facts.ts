/**
 * What routing knows about one request before it is sent anywhere: plain data the HTTP layer builds from the
 * body and the documented headers (x-switchboard-agent-type, -workspace, -user, -session, -metadata-*).
 */
export interface RequestFacts {
  readonly requestId: string;
  /** The model the caller named; undefined when routing must choose (POST /api/route without one). */
  readonly model: string | undefined;
  readonly agentType: string | undefined;
  /** chat, completion, embedding, count_tokens … (metadata.requestType wins over the endpoint's). */
  readonly requestType: string;
  readonly workspaceId: string | undefined;
  readonly userId: string | undefined;
  readonly sessionId: string | undefined;
  readonly keyId: string;
  readonly metadata: Readonly<Record<string, string>>;
  /** Lower-case header names; undefined when absent. */
  readonly header: (name: string) => string | undefined;
  /** Characters of the prompt; computed only when a rule asks. */
  readonly contentLength: () => number;
}
