/**
 * A provider in `mode: 'embedded'`: its traffic goes to the sidecar Switchboard supervises (sidecar.ts) while that
 * is ready, else to the provider's own API (seed 003's fallback to direct), else fails with SB_SIDECAR_UNAVAILABLE.
 * It wraps the provider's HTTP adapters instead of adding a branch to the executor (DESIGN.md §10, "wrap, don't
 * grow"); the executor's retries pick up the switch when a request meets a sidecar that has just gone down.
 */
import type { Logger } from 'pino';
import type { ProviderConfig } from '../config/schema.ts';
import { isSecretRef, resolveSecret } from '../config/secret-ref.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Operation, ProviderAdapter, ProviderKind, UpstreamRequest, UpstreamResponse, WireFormat } from '../providers/provider-adapter.ts';
import { providerTraits } from '../providers/provider-traits.ts';
import { Sidecar, type SidecarStatus } from './sidecar.ts';

/** Where a provider's traffic goes right now. */
export type EmbeddedRoute = 'sidecar' | 'direct' | 'unavailable';

export interface EmbeddedProviderOptions {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  readonly sidecar: Sidecar;
  /** Builds the adapter that talks to the sidecar at `baseUrl` (`http://127.0.0.1:<port>`). */
  readonly via: (baseUrl: string) => ProviderAdapter;
  /** The provider's own API, used while the sidecar is not ready if `fallback` is on. */
  readonly direct: ProviderAdapter | undefined;
  readonly fallback: boolean;
}

export class EmbeddedProvider implements ProviderAdapter {
  readonly name: string;
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: ReadonlySet<Operation>;
  readonly #sidecar: Sidecar;
  readonly #makeVia: (baseUrl: string) => ProviderAdapter;
  readonly #direct: ProviderAdapter | undefined;
  readonly #unsubscribe: () => void;
  /** One adapter per sidecar address; a restart on another port replaces (and closes) it. */
  #via: { readonly baseUrl: string; readonly adapter: ProviderAdapter } | undefined;
  /** Replaced adapters still finishing their requests. */
  readonly #closing = new Set<Promise<void>>();
  #closed: Promise<void> | undefined;

  constructor(options: EmbeddedProviderOptions) {
    this.name = options.name;
    this.kind = options.kind;
    this.format = options.format;
    this.operations = options.operations;
    this.#sidecar = options.sidecar;
    this.#makeVia = options.via;
    this.#direct = options.fallback ? options.direct : undefined;
    this.#unsubscribe = options.sidecar.onChange(() => this.#dropStaleVia());
  }

  /** The supervised sidecar, for /health/detailed (`sidecar.status()`). */
  get sidecar(): Sidecar {
    return this.#sidecar;
  }

  get route(): EmbeddedRoute {
    if (this.#sidecar.baseUrl !== undefined) return 'sidecar';
    return this.#direct !== undefined ? 'direct' : 'unavailable';
  }

  /** The ProviderAdapter's modeStatus, for /api/health/overview. */
  modeStatus(): { readonly mode: 'embedded'; readonly route: EmbeddedRoute; readonly sidecar: SidecarStatus } {
    return { mode: 'embedded', route: this.route, sidecar: this.#sidecar.status() };
  }

  send(request: UpstreamRequest): Promise<UpstreamResponse> {
    try {
      return this.#target().send(request);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Asks wherever send() would go now; undefined when that is nowhere. */
  listModels(signal: AbortSignal): Promise<readonly string[] | undefined> {
    try {
      return this.#target().listModels(signal);
    } catch {
      return Promise.resolve(undefined);
    }
  }

  /** Stops the sidecar and closes every adapter. Idempotent. */
  close(): Promise<void> {
    this.#closed ??= this.#close();
    return this.#closed;
  }

  async #close(): Promise<void> {
    this.#unsubscribe();
    const via = this.#via;
    this.#via = undefined;
    await Promise.all([
      this.#sidecar.stop(),
      via?.adapter.close(),
      this.#direct?.close(),
      ...this.#closing,
    ]);
  }

  #target(): ProviderAdapter {
    const baseUrl = this.#sidecar.baseUrl;
    if (baseUrl !== undefined) return this.#viaFor(baseUrl);
    if (this.#direct !== undefined) return this.#direct;
    throw this.#unavailable();
  }

  #viaFor(baseUrl: string): ProviderAdapter {
    const via = this.#via;
    if (via !== undefined && via.baseUrl === baseUrl) return via.adapter;
    this.#retire(via?.adapter);
    const adapter = this.#makeVia(baseUrl);
    this.#via = { baseUrl, adapter };
    return adapter;
  }

  /** A sidecar ready on another port makes the old adapter useless: close it now rather than at the next request. */
  #dropStaleVia(): void {
    const baseUrl = this.#sidecar.baseUrl;
    if (baseUrl === undefined || this.#via === undefined || this.#via.baseUrl === baseUrl) return;
    this.#retire(this.#via.adapter);
    this.#via = undefined;
  }

  #retire(adapter: ProviderAdapter | undefined): void {
    if (adapter === undefined) return;
    // close() lets requests in flight finish; it has no failure worth more than dropping the adapter.
    const closing = adapter.close().catch(() => undefined);
    this.#closing.add(closing);
    void closing.finally(() => this.#closing.delete(closing));
  }

  #unavailable(): GatewayError {
    const { state, lastError } = this.#sidecar.status();
    const why = lastError === null ? '' : ` (last error: ${lastError})`;
    const fallback = this.#closed !== undefined ? 'the provider is closed' : 'embedded.fallback is off or the provider has no direct API';
    return new GatewayError('SB_SIDECAR_UNAVAILABLE', {
      message: `The embedded sidecar of provider "${this.name}" is ${state}${why}, and ${fallback}.`,
    });
  }
}

export interface EmbeddedProviderDeps {
  /** The process environment, for embedded.env references (env:NAME). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where sidecar pid files go: <dataDir>/sidecars (the directory reapStaleSidecars reads at start-up). */
  readonly runDir: string;
  readonly logger: Logger;
  /** Builds the provider's own HTTP adapter with its base URL replaced by `baseUrl`. */
  readonly http: (config: ProviderConfig, baseUrl: string) => ProviderAdapter;
}

/**
 * The embedded provider of one configuration entry, its sidecar already starting. The sidecar is reached at
 * `http://127.0.0.1:<port><basePath>` (basePath: "/v1" for OpenAI-style providers, "" for Anthropic, unless
 * embedded.basePath says otherwise); the direct fallback at the provider's own base URL.
 */
export function createEmbeddedProvider(config: ProviderConfig, deps: EmbeddedProviderDeps): EmbeddedProvider {
  const embedded = config.embedded;
  if (embedded === undefined) throw new Error(`provider "${config.name}" has mode "embedded" but no embedded settings`);
  const traits = providerTraits(config);
  const env = resolveEnv(embedded.env, deps.env, config.name, deps.logger);
  const sidecar = new Sidecar({ provider: config.name, spec: { ...embedded, env }, runDir: deps.runDir, logger: deps.logger });
  const basePath = embedded.basePath ?? (traits.format === 'anthropic' ? '' : '/v1');
  const direct = embedded.fallback && traits.baseUrl !== undefined ? deps.http(config, traits.baseUrl) : undefined;
  const provider = new EmbeddedProvider({
    name: config.name, kind: traits.kind, format: traits.format, operations: traits.operations, sidecar,
    via: (baseUrl) => deps.http(config, `${baseUrl}${basePath}`), direct, fallback: embedded.fallback,
  });
  sidecar.start();
  return provider;
}

/** env:NAME and file:/path values are read now; one that resolves to nothing is left out (and said so once). */
function resolveEnv(spec: Readonly<Record<string, string>>, env: EmbeddedProviderDeps['env'], provider: string, logger: Logger): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(spec)) {
    const resolved = isSecretRef(value) ? resolveSecret(value, env) : value;
    if (resolved !== undefined) out[name] = resolved;
    else logger.warn({ provider, variable: name, ref: value }, 'embedded.env refers to a secret that is not set; the sidecar starts without it');
  }
  return out;
}
