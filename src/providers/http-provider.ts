import { Pool } from 'undici';
import type { Dispatcher } from 'undici';
import { MAX_UPSTREAM_BODY } from '../routing/read-body.ts';
import { bufferedDispatch } from '../upstream/buffered-dispatch.ts';
import { classifyUpstreamError } from '../upstream/classify-upstream-error.ts';
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
}

/** A provider reached over HTTP with a keep-alive undici pool. */
export class HttpProvider implements ProviderAdapter {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  readonly #spec: HttpProviderSpec;
  readonly #pool: Pool;

  constructor(spec: HttpProviderSpec) {
    this.name = spec.name;
    this.kind = spec.kind;
    this.format = spec.format;
    this.operations = spec.operations;
    this.#spec = spec;
    this.#pool = new Pool(new URL(spec.baseUrl).origin, {
      connections: spec.connections, pipelining: 1, keepAliveTimeout: 30_000,
      headersTimeout: spec.timeoutMs, bodyTimeout: spec.idleTimeoutMs,
    });
  }

  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const headers: Record<string, string> = { ...request.headers, ...this.#spec.headers, 'content-type': 'application/json' };
    if (request.stream) headers.accept = 'text/event-stream';
    const options = { method: 'POST' as const, path: this.#spec.pathFor(request.operation, request.model), headers, body: request.body };
    try {
      if (!request.stream) return await bufferedDispatch(this.#pool, options, request.signal, MAX_UPSTREAM_BODY);
      const res: Dispatcher.ResponseData = await this.#pool.request({ ...options, signal: request.signal });
      return { status: res.statusCode, headers: res.headers, body: res.body };
    } catch (err) {
      throw classifyUpstreamError(err, this.name);
    }
  }

  async close(): Promise<void> {
    await this.#pool.close();
  }
}

/** Joins a base URL's path (e.g. "/v1") and a suffix; the base URL's query string, if any, is not kept. */
export function joinPath(baseUrl: string, suffix: string): string {
  const base = new URL(baseUrl).pathname.replace(/\/+$/, '');
  return `${base}${suffix}`;
}
