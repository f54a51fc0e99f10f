/**
 * The upstream response headers a caller may see, by their name upstream → the name they are sent under.
 * Rate-limit headers let SDK users pace themselves; the provider's request id lets them quote it to the
 * provider's support (it is renamed so it never collides with Switchboard's own x-request-id). Everything
 * else (cookies, org ids, hop-by-hop headers, server banners) stays behind.
 */
const RENAMED: Readonly<Record<string, string>> = {
  'x-request-id': 'x-upstream-request-id',
  'request-id': 'x-upstream-request-id',
  'apim-request-id': 'x-upstream-request-id',
  'openai-processing-ms': 'openai-processing-ms',
};
const PREFIXES = ['x-ratelimit-', 'anthropic-ratelimit-'] as const;

export const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

type UpstreamHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** The forwarded subset of an upstream response's headers (names lower-case, as undici gives them). */
export function forwardedHeaders(headers: UpstreamHeaders): Readonly<Record<string, string>> {
  let out: Record<string, string> | undefined;
  for (const name in headers) {
    const value = headers[name];
    if (typeof value !== 'string') continue;
    const as = RENAMED[name] ?? (name.startsWith(PREFIXES[0]) || name.startsWith(PREFIXES[1]) ? name : undefined);
    if (as === undefined) continue;
    out ??= {};
    out[as] = value;
  }
  return out ?? NO_HEADERS;
}
