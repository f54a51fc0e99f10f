/**
 * The SB_* error catalogue: every error Switchboard answers with has one stable code here.
 * docs/errors.md lists exactly these codes; test/integration/errors-doc.test.ts keeps the two in step.
 */
export interface ErrorSpec {
  /** HTTP status answered to the caller. */
  readonly status: number;
  /** Whether the same request may succeed if sent again later. */
  readonly retryable: boolean;
  /** What happened and what to do about it. */
  readonly message: string;
}

export const CATALOGUE = {
  SB_AUTH_MISSING_KEY: { status: 401, retryable: false, message: 'No API key was sent. Send it as "Authorization: Bearer <key>" or "x-api-key: <key>".' },
  SB_AUTH_INVALID_KEY: { status: 401, retryable: false, message: 'The API key is not valid. Check that it was copied whole; keys are shown only once, so create a new one if it is lost.' },
  SB_AUTH_EXPIRED_KEY: { status: 401, retryable: false, message: 'The API key has expired (a rotated key stops at the end of its overlap). Use the key that replaced it, or ask an administrator for a new one.' },
  SB_AUTH_REVOKED_KEY: { status: 401, retryable: false, message: 'The API key was revoked. Ask an administrator for a new key.' },
  SB_AUTH_STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'The key store cannot be reached to check this key; keys this replica checked before keep working. Try again shortly.' },
  SB_AUTH_INVALID_TOKEN: { status: 401, retryable: false, message: 'The bearer token is not a valid JWT for this gateway: malformed, badly signed, signed with an algorithm or key that is not configured, or for another issuer or audience.' },
  SB_AUTH_EXPIRED_TOKEN: { status: 401, retryable: false, message: 'The bearer token has expired, or is not valid yet. Get a new token from the identity provider.' },
  SB_AUTH_JWKS_UNAVAILABLE: { status: 503, retryable: true, message: 'The identity provider\'s signing keys (auth.jwt.jwksUrl) cannot be fetched and no cached key fits this token. Try again shortly.' },
  SB_RATE_LIMITED: { status: 429, retryable: true, message: 'A rate limit of this key, its tier, its workspace or the model was reached. Retry after the time Retry-After gives.' },
  SB_BUDGET_EXCEEDED: { status: 402, retryable: false, message: 'The workspace\'s budget for this period cannot cover the request\'s worst-case cost. It starts again with the next period (Retry-After).' },
  SB_LIMITER_UNAVAILABLE: { status: 503, retryable: true, message: 'The shared limiter store (Redis) cannot be reached, and limits.onStoreError is "closed": limited requests are refused until it is back.' },
  SB_USAGE_JOURNAL_FULL: { status: 503, retryable: true, message: 'The usage journal is full (a sink has been down for long) and usage.journal.whenFull is "refuse": requests are refused until the sinks catch up, so that no usage record is lost.' },
  SB_AUTH_FORBIDDEN: { status: 403, retryable: false, message: 'This key may not use this route: its role or scopes do not allow it.' },
  SB_WORKSPACE_FORBIDDEN: { status: 403, retryable: false, message: 'This key belongs to another workspace, or to a workspace at all where the route changes what every workspace shares.' },
  SB_INVALID_JSON: { status: 400, retryable: false, message: 'The request body is not valid JSON.' },
  SB_INVALID_UTF8: { status: 400, retryable: false, message: 'The request body is not valid UTF-8.' },
  SB_INVALID_REQUEST: { status: 400, retryable: false, message: 'A field of the request is missing or has the wrong type or value; see "param".' },
  SB_UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: 'Send the body as application/json.' },
  SB_BODY_TOO_LARGE: { status: 413, retryable: false, message: 'The request body is larger than the configured limit (server.bodyLimitBytes).' },
  SB_UNSUPPORTED_PARAMETER: { status: 400, retryable: false, message: 'The chosen model\'s provider cannot honour this parameter; see "param". Remove it or pick another model.' },
  SB_MODEL_NOT_FOUND: { status: 404, retryable: false, message: 'No configured provider serves this model. GET /v1/models lists the models this key may use; "provider/model" addresses one provider.' },
  SB_MODEL_NOT_ALLOWED: { status: 403, retryable: false, message: 'This key may not use this model. GET /v1/models lists the models it may use.' },
  SB_MODEL_INACTIVE: { status: 404, retryable: false, message: 'The model is registered but inactive, so it takes no traffic. PATCH /api/models/{id}/status makes it active again.' },
  SB_MODEL_RESTRICTED: { status: 403, retryable: false, message: 'The workspace\'s model restrictions or compliance requirements, or the agent\'s required capabilities, rule out every model that could serve this request. POST /api/routing/test explains why.' },
  SB_NO_ROUTE: { status: 400, retryable: false, message: 'No model was named and no override, experiment, rule or agent preference chose one. Send "model", or configure a rule or agent preferences.' },
  SB_ENDPOINT_NOT_SUPPORTED: { status: 400, retryable: false, message: 'The model\'s provider does not offer this endpoint (for example embeddings on an Anthropic model).' },
  SB_NOT_FOUND: { status: 404, retryable: false, message: 'No such route or resource. GET /docs lists every route.' },
  SB_KEY_NOT_FOUND: { status: 404, retryable: false, message: 'No API key has this id or prefix.' },
  SB_RESPONSE_NOT_FOUND: { status: 404, retryable: false, message: 'No stored response has this id, or it is not visible to this key.' },
  SB_RULE_NOT_FOUND: { status: 404, retryable: false, message: 'No routing rule has this id. GET /api/routing/rules lists them.' },
  SB_AGENT_NOT_FOUND: { status: 404, retryable: false, message: 'No preferences are set for this agent type. POST /api/agents/{agentType}/preferences sets them.' },
  SB_WORKSPACE_NOT_FOUND: { status: 404, retryable: false, message: 'No configuration is set for this workspace. POST /api/workspaces/{id}/config sets it.' },
  SB_MEMBER_NOT_FOUND: { status: 404, retryable: false, message: 'The workspace has no member with this user id. GET /api/workspaces/{id}/members lists them.' },
  SB_OVERRIDE_NOT_FOUND: { status: 404, retryable: false, message: 'No override has this id (an expired one is removed with the next override change). GET /api/routing/overrides?all=true lists them.' },
  SB_EXPERIMENT_NOT_FOUND: { status: 404, retryable: false, message: 'No experiment has this id. GET /api/experiments lists them.' },
  SB_EXPERIMENT_STATE: { status: 409, retryable: false, message: 'The experiment\'s status does not allow this step (draft → running → stopped → completed), or promote has no winner to choose. GET /api/experiments/{id} shows its status and results.' },
  SB_CONFIG_INVALID: { status: 400, retryable: false, message: 'The configuration change was refused whole, nothing was applied; "issues" lists every problem with its path.' },
  SB_CONFIG_VERSION_NOT_FOUND: { status: 404, retryable: false, message: 'No configuration version has this number. GET /api/config/versions lists them.' },
  SB_CONFIG_CONFLICT: { status: 409, retryable: true, message: 'Other configuration changes kept landing first; nothing was applied. Send the change again.' },
  SB_RESPONSE_STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'The store of Responses API conversations (the database) cannot be reached, so the stored response cannot be read or changed. Try again shortly.' },
  SB_CONFIG_STORE_UNAVAILABLE: { status: 503, retryable: true, message: 'The configuration store (the database) cannot be reached, so no change can be saved; the gateway keeps serving its last good configuration. Try again when /health/detailed reports it back.' },
  SB_UPSTREAM_ERROR: { status: 502, retryable: true, message: 'The provider answered with an error; its status and message are passed on.' },
  SB_UPSTREAM_AUTH_FAILED: { status: 502, retryable: false, message: 'The provider refused the gateway\'s own credential for it; your key is fine. An operator must fix the provider\'s apiKey or apiKeyEnv.' },
  SB_UPSTREAM_TIMEOUT: { status: 504, retryable: true, message: 'The provider did not answer within the configured timeout (providers[].timeoutMs).' },
  SB_UPSTREAM_UNREACHABLE: { status: 502, retryable: true, message: 'The provider could not be reached or closed the connection. Check its base URL and that it is up.' },
  SB_UPSTREAM_BAD_RESPONSE: { status: 502, retryable: true, message: 'The provider sent a response that is not valid for its API (malformed JSON or stream).' },
  SB_NO_HEALTHY_TARGET: { status: 503, retryable: true, message: 'Every target that could serve this request is out of service for now (circuit breaker open, ejected, or failing its health checks). Retry after the time in retry_after.' },
  SB_PROVIDER_NOT_FOUND: { status: 404, retryable: false, message: 'The model names a provider that is not configured. GET /v1/models lists the models this key may use.' },
  SB_SIDECAR_UNAVAILABLE: { status: 503, retryable: true, message: 'The provider\'s embedded sidecar is not ready (starting, restarting, or failed to start) and its fallback to direct is off.' },
  SB_CLIENT_DISCONNECTED: { status: 499, retryable: false, message: 'The caller closed the connection before the answer was complete. Only usage records and logs show this code.' },
  SB_GATEWAY_OVERLOADED: { status: 503, retryable: true, message: 'The gateway has too much work queued to take this request now; send it again in a few seconds.' },
  SB_SHUTTING_DOWN: { status: 503, retryable: true, message: 'The gateway is shutting down; send the request again, another replica will take it.' },
  SB_INTERNAL: { status: 500, retryable: true, message: 'Unexpected gateway error. It was logged with the request id; report it if it persists.' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof CATALOGUE;
