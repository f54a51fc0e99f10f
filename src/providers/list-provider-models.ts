import type { Dispatcher } from 'undici';
import { bufferedDispatch } from '../upstream/buffered-dispatch.ts';

/** Where and how a provider lists its models. */
export interface ModelListSpec {
  /** GET path (with query) relative to the base URL's origin, e.g. "/v1/models". */
  readonly path: string;
  /**
   * 'none': the whole list in one answer (OpenAI's `{data:[{id}]}`). 'after-id': Anthropic's pages
   * (`{data, has_more, last_id}`), the next one asked for with `after_id=<last_id>`.
   */
  readonly paging: 'none' | 'after-id';
}

/** A list is a convenience for GET /v1/models, never worth a long wait: it is cached and refreshed in the background. */
export const MODEL_LIST_TIMEOUT_MS = 5_000;
/** Anthropic pages hold up to 1000 models; ten pages is far beyond any real catalogue and bounds a looping upstream. */
const MAX_PAGES = 10;
/** OpenAI's full list is ~20 KB; a body far larger than any real list is not read into memory. */
const MAX_LIST_BYTES = 4 * 1024 * 1024;

/**
 * Reads a provider's model list. Resolves undefined (never rejects) when the list cannot be read: a transport
 * error, a timeout, a non-200 status, or a body that is not a list; a partial list would make the gateway
 * answer 404 for models the provider does serve, so one bad page fails the whole list.
 */
export async function listProviderModels(
  dispatcher: Dispatcher, list: ModelListSpec, headers: Readonly<Record<string, string>>, signal: AbortSignal, timeoutMs: number,
): Promise<readonly string[] | undefined> {
  const deadline = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
  const ids: string[] = [];
  let after: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const path = after === undefined ? list.path : `${list.path}${list.path.includes('?') ? '&' : '?'}after_id=${encodeURIComponent(after)}`;
    let body: Buffer;
    try {
      const res = await bufferedDispatch(dispatcher, { method: 'GET', path, headers }, deadline, MAX_LIST_BYTES);
      if (res.status !== 200) return undefined;
      body = res.body;
    } catch {
      return undefined;
    }
    const parsed = parsePage(body);
    if (parsed === undefined) return undefined;
    ids.push(...parsed.ids);
    if (list.paging === 'none' || !parsed.hasMore || parsed.lastId === undefined || parsed.lastId === after) return ids;
    after = parsed.lastId;
  }
  return ids;
}

interface Page {
  readonly ids: readonly string[];
  readonly hasMore: boolean;
  readonly lastId: string | undefined;
}

function parsePage(body: Buffer): Page | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof json !== 'object' || json === null) return undefined;
  const { data, has_more: hasMore, last_id: lastId } = json as { data?: unknown; has_more?: unknown; last_id?: unknown };
  if (!Array.isArray(data)) return undefined;
  const ids: string[] = [];
  for (const item of data as unknown[]) {
    const id = typeof item === 'object' && item !== null ? (item as { id?: unknown }).id : undefined;
    if (typeof id === 'string' && id !== '') ids.push(id);
  }
  return { ids, hasMore: hasMore === true, lastId: typeof lastId === 'string' && lastId !== '' ? lastId : undefined };
}
