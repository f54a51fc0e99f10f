import type { Config, ModelConfig, Pricing } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import { providerEndpoint, type EndpointRef } from '../domain/endpoint-ref.ts';
import type { Plan, Target } from '../domain/plan.ts';
import { endpointIdOf, endpointProviderName, routingProviders } from './endpoint-providers.ts';
import { wireDefaults } from './default-parameters.ts';

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

/** A target and its share of its model's traffic. */
export interface WeightedTarget {
  readonly target: Target;
  readonly weight: number;
}

/**
 * A model as the routing engine sees it: a registered models entry, or a name that resolves some other way
 * (provider/model, a provider's list, a name prefix), which is active with its one target and nothing declared.
 */
export interface ModelEntry {
  /** The model's id: models[].id, else the name it was resolved from. x-switchboard-model says it. */
  readonly key: string;
  readonly name: string;
  /** Every name that means this model (id, name, aliases, upstream id): restrictions may list any. */
  readonly names: ReadonlySet<string>;
  readonly registered: boolean;
  readonly status: 'active' | 'inactive' | 'deprecated';
  /** A monitor's last report said unhealthy: served after every other candidate. */
  readonly reportedUnhealthy: boolean;
  readonly modelType: string;
  /** Capability types, and the model type's own (chat → text-generation, chat; embedding → embeddings). */
  readonly capabilities: ReadonlySet<string>;
  readonly complianceTags: ReadonlySet<string>;
  readonly tags: readonly string[];
  readonly pricing: Pricing | undefined;
  /** Share the model's traffic by weight; one for a model without endpoints (its provider). */
  readonly primaries: readonly WeightedTarget[];
  /** Tried when no primary answers. */
  readonly secondaries: readonly Target[];
  readonly fallbacks: readonly string[];
  readonly parameters: Readonly<Record<string, number | string | boolean>>;
  readonly reason: Plan['reason'];
}

const TYPE_CAPABILITIES: Readonly<Record<string, readonly string[]>> = {
  chat: ['chat', 'text-generation'], completion: ['completion', 'text-generation'], embedding: ['embedding', 'embeddings'],
};
const NO_TAGS: ReadonlySet<string> = new Set();

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
  /** Registered models by each of their names; other names' entries as they are first asked for. */
  readonly #entries = new Map<string, ModelEntry>();
  readonly #resolvedEntries = new Map<string, ModelEntry>();

  constructor(config: Config, formats: ReadonlyMap<string, WireFormat>) {
    this.#formats = formats;
    for (const p of routingProviders(config)) {
      if (p.dropParams.length > 0) this.#dropParams.set(p.name, new Set(p.dropParams));
      this.#retries.set(p.name, p.retries ?? p.proxy?.retries ?? config.resilience.retries);
      this.#endpoints.set(p.name, providerEndpoint(p.name));
      if (p.mode === 'proxy' && p.proxy !== undefined && p.proxy.modelPrefix !== '') this.#wirePrefix.set(p.name, p.proxy.modelPrefix);
    }
    this.#defaultRetries = config.resilience.retries;
    for (const m of config.models) {
      const upstream = m.model ?? m.version ?? m.name;
      const endpoints = m.endpoints.map((e, i) => ({ e, target: this.#target(endpointProviderName(m.id, endpointIdOf(e, i)), upstream, m.pricing, m.id, m) }));
      const primaries = endpoints.filter(({ e }) => e.type === 'primary').map(({ e, target }) => ({ target, weight: e.weight }));
      const secondaries = endpoints.filter(({ e }) => e.type === 'secondary').map(({ target }) => target);
      const target = primaries[0]?.target ?? secondaries[0] ?? this.#target(m.provider, upstream, m.pricing, m.id, m);
      const names = [...new Set([m.id, m.name, ...m.aliases])];
      const capabilities = new Set([m.modelType, ...m.capabilities.map((c) => c.type), ...(m.capabilities.length === 0 ? TYPE_CAPABILITIES[m.modelType] ?? [] : [])]);
      const entry: ModelEntry = Object.freeze({
        key: m.id, name: m.name, names: new Set([...names, upstream]), registered: true, status: m.status, reportedUnhealthy: m.reportedHealth?.status === 'unhealthy', modelType: m.modelType, capabilities,
        complianceTags: new Set(m.complianceTags), tags: m.tags, pricing: m.pricing,
        primaries: primaries.length > 0 || secondaries.length > 0 ? primaries : [{ target, weight: 1 }], secondaries, fallbacks: m.fallbacks,
        parameters: m.parameters, reason: 'catalogue',
      });
      for (const name of names) {
        this.#named.set(name, target);
        this.#entries.set(name, entry);
        if (m.fallbacks.length > 0) this.#fallbacks.set(name, m.fallbacks);
      }
    }
    for (const p of config.providers) {
      for (const model of p.models) if (!this.#listed.has(model)) this.#listed.set(model, this.#target(p.name, model, undefined, model));
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

  /** The model a name means (a registered entry by any of its names, or however else it resolves); undefined when none. */
  entry(name: string): ModelEntry | undefined {
    const registered = this.#entries.get(name) ?? this.#resolvedEntries.get(name);
    if (registered !== undefined) return registered;
    const first = this.#firstTarget(name);
    if (first === undefined) return undefined;
    const [target, reason] = first;
    const entry: ModelEntry = Object.freeze({
      key: target.modelKey, name, names: new Set([name, target.model, target.label]), registered: false, status: 'active', reportedUnhealthy: false, modelType: 'chat',
      capabilities: new Set(TYPE_CAPABILITIES.chat), complianceTags: NO_TAGS, tags: [], pricing: target.pricing,
      primaries: [{ target, weight: 1 }], secondaries: [], fallbacks: [], parameters: {}, reason,
    });
    if (this.#resolvedEntries.size < 10_000) this.#resolvedEntries.set(name, entry);
    return entry;
  }

  /** Every registered model, once each, in config order. */
  registered(): ModelEntry[] {
    return [...new Set(this.#entries.values())];
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
    // An inactive model takes no traffic, so it is not offered either.
    for (const [id, t] of this.#named) if (this.#entries.get(id)?.status !== 'inactive') add(id, t.provider, t.model);
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
      return [this.#target(requested.slice(0, slash), requested.slice(slash + 1), this.#named.get(requested.slice(slash + 1))?.pricing, requested), 'provider-prefix'];
    }
    const named = this.#named.get(requested);
    if (named !== undefined) return [named, 'catalogue'];
    const listed = this.#listed.get(requested);
    if (listed !== undefined) return [listed, 'provider-models'];
    const prefix = this.#prefixes.find(([p]) => requested.startsWith(p));
    return prefix === undefined ? undefined : [this.#target(prefix[1], requested, undefined, requested), 'name-prefix'];
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
  #target(provider: string, model: string, pricing: Target['pricing'], modelKey: string, entry?: ModelConfig): Target {
    const base = this.#dropParams.get(provider) ?? NO_PARAMS;
    const dropParams = entry === undefined || entry.dropParams.length === 0 ? base : new Set([...base, ...entry.dropParams]);
    return Object.freeze({
      provider, model, wireModel: `${this.#wirePrefix.get(provider) ?? ''}${model}`, format: this.#formats.get(provider) ?? 'openai', pricing, dropParams, reasoning: entry?.reasoning,
      label: `${provider}/${model}`, modelKey, contextWindow: entry?.contextWindow ?? contextWindowOf(entry), retries: this.#retries.get(provider) ?? this.#defaultRetries,
      endpoint: this.#endpoints.get(provider) ?? providerEndpoint(provider),
      ...(entry === undefined ? {} : { defaults: wireDefaults(entry.parameters) }),
    });
  }
}

/** The largest context window a models entry's capabilities declare. */
function contextWindowOf(entry: ModelConfig | undefined): number | undefined {
  const windows = entry?.capabilities.map((c) => c.contextWindow).filter((w): w is number => w !== undefined) ?? [];
  return windows.length === 0 ? undefined : Math.max(...windows);
}
