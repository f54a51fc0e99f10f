import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { bufferedDispatch } from '../upstream/buffered-dispatch.ts';
import { UNBOUNDED_BUDGET, type ByteBudget } from '../upstream/byte-budget.ts';
import { classifyUpstreamError } from '../upstream/classify-upstream-error.ts';
import { listProviderModels, MODEL_LIST_TIMEOUT_MS, type ModelListSpec } from './list-provider-models.ts';
import type { Operation, ProviderAdapter, ProviderKind, UpstreamRequest, UpstreamResponse, WireFormat } from './provider-adapter.ts';

/** What distinguishes one HTTP provider from another: where each operation goes and how to authenticate. */
export interface HttpProviderSpec {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly baseUrl: string;
  /** Path (with query) for an operation and upstream model, relative to the base URL's origin. */
  readonly pathFor: (operation: Operation, model: string) => string;
  readonly operations: ReadonlySet<Operation>;
  /** Fixed headers: credentials, API version, operator-configured extras. */
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly connections: number;
  /** Largest non-streamed answer read into memory (providers[].maxResponseBytes). */
  readonly maxResponseBytes: number;
  /** The provider's own model list endpoint; none when it offers no list (Azure: deployments come from config). */
  readonly modelList?: ModelListSpec;
}

/** A provider reached over HTTP with a keep-alive undici pool. */
export class HttpProvider implements ProviderAdapter {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  readonly #spec: HttpProviderSpec;
  readonly #pool: Pool;
  /** Fixed request headers, built once: most requests forward no caller header and reuse them as they are. */
  readonly #jsonHeaders: Readonly<Record<string, string>>;
  readonly #streamHeaders: Readonly<Record<string, string>>;
  /** Shared with every other provider: bounds the answers being read into memory at once. */
  readonly #budget: ByteBudget;
  readonly #limitName: string;
  #closed: Promise<void> | undefined;

  /** `budget` is the process-wide one (server.maxBufferedResponseBytes); without it only maxResponseBytes bounds an answer. */
  constructor(spec: HttpProviderSpec, budget: ByteBudget = UNBOUNDED_BUDGET) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.format = spec.format;
    this.operations = spec.operations;
    this.#spec = spec;
    this.#budget = budget;
    this.#limitName = `maxResponseBytes of provider "${spec.name}"`;
    this.#jsonHeaders = Object.freeze({ ...spec.headers, 'content-type': 'application/json' });
    this.#streamHeaders = Object.freeze({ ...this.#jsonHeaders, accept: 'text/event-stream' });
    this.#pool = new Pool(new URL(spec.baseUrl).origin, {
      connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000,
      headersTimeout: spec.timeoutMs, bodyTimeout: spec.idleTimeoutMs,
    });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const fixed = request.stream ? this.#streamHeaders : this.#jsonHeaders;
    // Forwarded caller headers are a short allow-list (anthropic-version, anthropic-beta; see ai-routes.ts), so
    // they may replace a default such as the API version but never reach the credentials.
    const headers = isEmpty(request.headers) ? fixed : { ...fixed, ...request.headers };
    const options = { method: 'POST' as const, path: this.#spec.pathFor(request.operation, request.model), headers, body: request.body };
    try {
      if (!request.stream) return await bufferedDispatch(this.#pool, options, request.signal, this.#spec.maxResponseBytes, this.#budget, this.#limitName);
      const res: Dispatcher.ResponseData = await this.#pool.request({ ...options, signal: request.signal });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw classifyUpstreamError(err, this.name, request.signal);
    }
  }

  listModels(signal: AbortSignal): Promise<readonly string[] | undefined> {
    const list = this.#spec.modelList;
    if (list === undefined) return Promise.resolve(undefined);
    // The same pool and credentials as send(); the fixed headers minus the JSON body's content-type.
    const headers = { ...this.#spec.headers, accept: 'application/json' };
    return listProviderModels(this.#pool, list, headers, signal, Math.min(MODEL_LIST_TIMEOUT_MS, this.#spec.timeoutMs));
  }

  /** Waits for requests in flight, then closes the pool. Idempotent: a second close() waits for the first. */
  close(): Promise<void> {
    this.#closed ??= this.#pool.close();
    return this.#closed;
  }
}

/** Joins a base URL's path (e.g. "/v1") and a suffix; the base URL's query string, if any, is not kept. */
export function joinPath(baseUrl: string, suffix: string): string {
  const base = new URL(baseUrl).pathname.replace(/\/+$/, '');
  return `${base}${suffix}`;
}

function isEmpty(record: Readonly<Record<string, string>>): boolean {
  for (const _ in record) return false;
  return true;
}
