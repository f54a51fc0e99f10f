/** Where an endpoint belongs: ejection never takes more than a share of one pool out of service. */
export interface EndpointRef {
  /** Stable id, unique across pools (e.g. "provider:openai", "service:billing:10.0.0.7:8080"). */
  readonly id: string;
  /** The pool it is one of (e.g. "providers", "service:billing"). */
  readonly pool: string;
}

/** Every AI provider is one endpoint of one pool: ejection never takes more than its share of them out. */
export const PROVIDER_POOL = 'providers';

/** The health endpoint of an AI provider: one base URL, one connection pool. */
export function providerEndpoint(provider: string): EndpointRef {
  return Object.freeze({ id: `provider:${provider}`, pool: PROVIDER_POOL });
}
