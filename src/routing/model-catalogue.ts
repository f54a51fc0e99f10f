import type { Config, ModelConfig } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import { providerEndpoint, type EndpointRef } from '../domain/endpoint-ref.ts';
import type { Plan, Target } from '../domain/plan.ts';

const NO_PARAMS: ReadonlySet<string> = new Set();
const NO_LISTS: ReadonlyMap<string, readonly string[]> = new Map();

/** A model as listed by GET /v1/models. */
export interface CatalogueEntry {
  /** The name a caller sends; sending it reaches `provider` and `model`. */
  readonly id: string;
  readonly provider: string;
  /** Upstream model id. */
  readonly model: string;
}

/**
 * Resolves the "model" a caller sends into a Plan. Pure: built once per config snapshot.
 * Order: "provider/model" always addresses that provider; then catalogue names and aliases; then models a
 * provider lists; then name prefixes (gpt-* → openai, claude-* → anthropic) when that provider exists.
 */
export class ModelCatalogue {
  readonly #formats: ReadonlyMap<string, WireFormat>;
  readonly #named = new Map<string, Target>();
  readonly #listed = new Map<string, Target>();
  readonly #prefixes: ReadonlyArray<readonly [string, string]>;
  readonly #memo = new Map<string, Plan>();
  readonly #defaultRetries: number;
  /** Each provider's dropParams as one set, shared by all its targets. */
  readonly #dropParams = new Map<string, ReadonlySet<string>>();
  /** Each provider's retries and health endpoint, shared by all its targets. */
  readonly #retries = new Map<string, number>();
  readonly #endpoints = new Map<string, EndpointRef>();
  /** proxy.modelPrefix of providers in proxy mode. */
  readonly #wirePrefix = new Map<string, string>();
  /** Catalogue name or alias → the models entry's fallbacks, in order. */
  readonly #fallbacks = new Map<string, readonly string[]>();
  /** Per provider, in config order, the models its config lists: `models`, then Azure `deployments` names. */
  readonly #configured: ReadonlyArray<readonly [string, readonly string[]]>;
  /** Per provider, every upstream id config says it serves: the above and the upstream ids of `models` entries. */
  readonly #known = new Map<string, Set<string>>();

  constructor(config: Config, formats: ReadonlyMap<string, WireFormat>) {
    this.#formats = formats;
    for (const p of config.providers) {
      if (p.dropParams.length > 0) this.#dropParams.set(p.name, new Set(p.dropParams));
      this.#retries.set(p.name, p.retries ?? p.proxy?.retries ?? config.resilience.retries);
      this.#endpoints.set(p.name, providerEndpoint(p.name));
      if (p.mode === 'proxy' && p.proxy !== undefined && p.proxy.modelPrefix !== '') this.#wirePrefix.set(p.name, p.proxy.modelPrefix);
    }
    this.#defaultRetries = config.resilience.retries;
    for (const m of config.models) {
      const target = this.#target(m.provider, m.model ?? m.name, m.pricing, m);
      for (const name of [m.name, ...m.aliases]) {
        this.#named.set(name, target);
        if (m.fallbacks.length > 0) this.#fallbacks.set(name, m.fallbacks);
      }
    }
    for (const p of config.providers) {
      for (const model of p.models) if (!this.#listed.has(model)) this.#listed.set(model, this.#target(p.name, model, undefined));
    }
    this.#prefixes = Object.entries(config.routing.prefixes)
      .filter(([, provider]) => formats.has(provider))
      .sort((a, b) => b[0].length - a[0].length);
    this.#configured = config.providers.map((p) => [p.name, [...new Set([...p.models, ...Object.keys(p.deployments)])]] as const);
    for (const [provider, models] of this.#configured) this.#known.set(provider, new Set(models));
    for (const t of this.#named.values()) this.#known.get(t.provider)?.add(t.model);
  }

  /** The health endpoint id of every configured provider. */
  endpointIds(): string[] {
    return [...this.#endpoints.values()].map((e) => e.id);
  }

  /** Throws SB_MODEL_NOT_FOUND (param "model") when nothing serves the name. */
  resolve(requested: string): Plan {
    const memo = this.#memo.get(requested);
    if (memo !== undefined) return memo;
    const plan = this.#resolve(requested);
    if (plan === undefined) {
      throw new GatewayError('SB_MODEL_NOT_FOUND', { param: 'model', message: `No configured provider serves model "${requested.slice(0, 200)}". GET /v1/models lists the models this key may use; "provider/model" addresses one provider.` });
    }
    if (this.#memo.size < 10_000) this.#memo.set(requested, plan);
    return plan;
  }

  /**
   * Every model a caller can name, each once: catalogue names and aliases first, then per provider (in config
   * order) the models its config lists and those in its own fetched list (`fetched`, provider → ids). A
   * provider's model is listed by its bare id when sending that id reaches this provider and model, otherwise
   * as "provider/model" (the bare id belongs to another entry, or nothing routes it), so every listed name
   * routes where the listing says, and a chat request with it never meets SB_MODEL_NOT_FOUND.
   */
  list(fetched: ReadonlyMap<string, readonly string[]> = NO_LISTS): CatalogueEntry[] {
    const out = new Map<string, CatalogueEntry>();
    const add = (id: string, provider: string, model: string): void => {
      if (!out.has(id)) out.set(id, { id, provider, model });
    };
    for (const [id, t] of this.#named) add(id, t.provider, t.model);
    for (const [provider, models] of this.#configured) {
      for (const model of [...models, ...(fetched.get(provider) ?? [])]) add(this.#nameFor(provider, model), provider, model);
    }
    return [...out.values()];
  }

  /**
   * The entry for one name a caller would send: a listed name (as list() gives it), or "provider/model" where
   * that provider's config (its `models`, `deployments`, or a `models` entry's upstream id) or fetched list
   * has the model. Undefined for anything else, even names a prefix
   * would route: nothing says the provider serves them.
   */
  find(id: string, fetched: ReadonlyMap<string, readonly string[]> = NO_LISTS): CatalogueEntry | undefined {
    const listed = this.list(fetched).find((m) => m.id === id);
    if (listed !== undefined) return listed;
    const slash = id.indexOf('/');
    if (slash <= 0 || !this.#formats.has(id.slice(0, slash))) return undefined;
    const provider = id.slice(0, slash);
    const model = id.slice(slash + 1);
    const served = this.#known.get(provider)?.has(model) === true || fetched.get(provider)?.includes(model) === true;
    return served ? { id, provider, model } : undefined;
  }

  /** The bare id when it resolves to exactly this provider and model, else "provider/model". */
  #nameFor(provider: string, model: string): string {
    const target = this.#firstTarget(model)?.[0];
    return target?.provider === provider && target.model === model ? model : `${provider}/${model}`;
  }

  #resolve(requested: string): Plan | undefined {
    const first = this.#firstTarget(requested);
    if (first === undefined) return undefined;
    const [target, reason] = first;
    return this.#plan(requested, target, reason, reason === 'catalogue' ? this.#fallbackTargets(requested, target) : []);
  }

  /** The target a name resolves to, and how, without its fallbacks. */
  #firstTarget(requested: string): readonly [Target, Plan['reason']] | undefined {
    const slash = requested.indexOf('/');
    if (slash > 0 && this.#formats.has(requested.slice(0, slash)) && slash < requested.length - 1) {
      return [this.#target(requested.slice(0, slash), requested.slice(slash + 1), this.#named.get(requested.slice(slash + 1))?.pricing), 'provider-prefix'];
    }
    const named = this.#named.get(requested);
    if (named !== undefined) return [named, 'catalogue'];
    const listed = this.#listed.get(requested);
    if (listed !== undefined) return [listed, 'provider-models'];
    const prefix = this.#prefixes.find(([p]) => requested.startsWith(p));
    return prefix === undefined ? undefined : [this.#target(prefix[1], requested, undefined), 'name-prefix'];
  }

  #plan(modelRequested: string, target: Target, reason: Plan['reason'], fallbacks: readonly Target[] = []): Plan {
    return Object.freeze({ modelRequested, targets: Object.freeze([target, ...fallbacks]), reason });
  }

  /** A models entry's fallbacks as targets, each resolved on its own (its own fallbacks not followed), no target twice. */
  #fallbackTargets(name: string, first: Target): Target[] {
    const out: Target[] = [];
    const seen = new Set([first.label]);
    for (const ref of this.#fallbacks.get(name) ?? []) {
      const target = ref === name ? undefined : this.#firstTarget(ref)?.[0];
      if (target === undefined || seen.has(target.label)) continue;
      seen.add(target.label);
      out.push(target);
    }
    return out;
  }

  /** `entry`: the models entry behind the target; its dropParams add to its provider's, its reasoning wins. */
  #target(provider: string, model: string, pricing: Target['pricing'], entry?: ModelConfig): Target {
    const base = this.#dropParams.get(provider) ?? NO_PARAMS;
    const dropParams = entry === undefined || entry.dropParams.length === 0 ? base : new Set([...base, ...entry.dropParams]);
    return Object.freeze({
      provider, model, wireModel: `${this.#wirePrefix.get(provider) ?? ''}${model}`, format: this.#formats.get(provider) ?? 'openai', pricing, dropParams, reasoning: entry?.reasoning,
      label: `${provider}/${model}`, contextWindow: entry?.contextWindow, retries: this.#retries.get(provider) ?? this.#defaultRetries,
      endpoint: this.#endpoints.get(provider) ?? providerEndpoint(provider),
    });
  }
}
