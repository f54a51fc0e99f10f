import type { Logger } from 'pino';
import type { ConfigSnapshot, ConfigView } from '../config/config-view.ts';
import type { Config, ProviderConfig } from '../config/schema.ts';
import type { ProviderAdapter, WireFormat } from '../providers/provider-adapter.ts';
import type { ByteBudget } from '../upstream/byte-budget.ts';
import { PriceBook } from '../usage/price-book.ts';
import { UsageLedger, type UsageListener } from '../usage/usage-ledger.ts';
import type { Pricing } from '../config/schema.ts';
import { Executor } from './executor.ts';
import { ModelCatalogue } from './model-catalogue.ts';
import { ProviderModelLists } from './provider-model-lists.ts';
import { TargetCaller } from './target-call.ts';
import { healthSettingsOf, type HealthRegistry } from '../health/health-registry.ts';
import type { RetryBudget } from './retry-budget.ts';
import { probeTargets, type ProbeScheduler } from './probe-targets.ts';
import { routingProviders } from './endpoint-providers.ts';
import { Router } from './router.ts';
import { RoutingTable } from './routing-table.ts';

/** Everything a request needs that follows from one configuration version, built once per version. */
export interface RoutingState {
  readonly version: number;
  readonly config: Config;
  readonly providers: ReadonlyMap<string, ProviderAdapter>;
  readonly catalogue: ModelCatalogue;
  /** This version's prices (built-in table under the pricing section). */
  readonly prices: PriceBook;
  /** The routing engine bound to this version (POST /api/routing/test asks it to explain). */
  readonly router: Router;
  readonly executor: Executor;
  readonly modelLists: ProviderModelLists;
  /** Whether a model name is one the configuration names (metrics label only those). */
  readonly knownModel: (name: string) => boolean;
  /** Whether an agent type is one the configuration names (preferences, rule and experiment conditions). */
  readonly knownAgentType: (name: string) => boolean;
}

export interface LiveRoutingOptions {
  readonly view: ConfigView;
  /** main.ts's factory: the concrete adapters are its choice. */
  readonly createProvider: (config: ProviderConfig, budget: ByteBudget) => ProviderAdapter;
  readonly usageListeners: readonly UsageListener[];
  readonly builtInPrices: Readonly<Record<string, Pricing>>;
  /** One budget for every upstream answer being read whole, whichever provider and version sent it. */
  readonly bufferBudget: ByteBudget;
  readonly countTokens: (body: Readonly<Record<string, unknown>>, signal: AbortSignal) => Promise<number>;
  readonly logger: Logger;
  /** Breakers, ejection and probe verdicts: one registry for the life of the process, whatever the version. */
  readonly health: HealthRegistry;
  /** Retry budgets per target, kept across versions too. */
  readonly budget: RetryBudget;
  /** Runs the providers' active health checks; told each version's list. */
  readonly prober?: ProbeScheduler;
  /** For the credentials of health checks (headers written as env:NAME or file:/path). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** How long a provider a new version no longer has keeps its connections for requests still using it. Default 60 000. */
  readonly retireAfterMs?: number;
}

const DEFAULT_RETIRE_AFTER_MS = 60_000;

/**
 * The routing objects of the current configuration version. A request reads `current` once and keeps it to the
 * end, so a swap never changes what a request in flight runs on. Providers whose settings did not change carry
 * over with their connection pools; the others are closed once requests that may still use them are done.
 */
export class LiveRouting {
  readonly #o: LiveRoutingOptions;
  readonly #retireAfterMs: number;
  readonly #retiring = new Set<ReturnType<typeof setTimeout>>();
  readonly #retired = new Set<ProviderAdapter>();
  readonly #unsubscribe: () => void;
  /** Each provider's settings as built, to tell whether a new version changed them. */
  #built = new Map<string, string>();
  #state: RoutingState;

  constructor(options: LiveRoutingOptions) {
    this.#o = options;
    this.#retireAfterMs = options.retireAfterMs ?? DEFAULT_RETIRE_AFTER_MS;
    this.#state = this.#build(options.view.current(), undefined);
    this.#unsubscribe = options.view.onChange((next) => this.#swap(next));
  }

  get current(): RoutingState {
    return this.#state;
  }

  /** Closes every provider, those still retiring included. */
  async close(): Promise<void> {
    this.#unsubscribe();
    for (const timer of this.#retiring) clearTimeout(timer);
    this.#retiring.clear();
    this.#state.modelLists.close();
    await Promise.all([...this.#state.providers.values(), ...this.#retired].map((p) => p.close()));
    this.#retired.clear();
  }

  #swap(snapshot: ConfigSnapshot): void {
    const previous = this.#state;
    this.#state = this.#build(snapshot, previous);
    const kept = new Set(this.#state.providers.values());
    const gone = [...previous.providers.values()].filter((p) => !kept.has(p));
    if (previous.modelLists !== this.#state.modelLists) previous.modelLists.close();
    if (gone.length > 0) this.#retire(gone);
  }

  #build(snapshot: ConfigSnapshot, previous: RoutingState | undefined): RoutingState {
    const { config } = snapshot;
    const built = new Map<string, string>();
    const providers = new Map<string, ProviderAdapter>();
    const providerConfigs = routingProviders(config);
    let changed = previous === undefined || previous.providers.size !== providerConfigs.length;
    for (const p of providerConfigs) {
      const settings = JSON.stringify(p);
      built.set(p.name, settings);
      const old = previous?.providers.get(p.name);
      if (old !== undefined && this.#built.get(p.name) === settings) {
        providers.set(p.name, old);
      } else {
        providers.set(p.name, this.#o.createProvider(p, this.#o.bufferBudget));
        changed = true;
      }
    }
    this.#built = built;
    const formats = new Map<string, WireFormat>([...providers].map(([name, p]) => [name, p.format]));
    const catalogue = new ModelCatalogue(config, formats);
    const prices = new PriceBook(this.#o.builtInPrices, config.pricing);
    const ledger = new UsageLedger(prices, this.#o.usageListeners);
    const { health, budget } = this.#o;
    const { resilience } = config;
    health.configure(healthSettingsOf(resilience));
    budget.configure(resilience.retryBudget);
    const endpoints = new Set(catalogue.endpointIds());
    health.retain(endpoints);
    budget.retain(endpoints);
    this.#o.prober?.update(probeTargets(config, this.#o.env ?? process.env));
    const tracked = resilience.healthTracking ? health : undefined;
    const caller = new TargetCaller({
      providers, ledger, health: tracked, defaultMaxTokens: config.routing.defaultMaxTokens,
      maxResponseBytes: new Map(providerConfigs.map((p) => [p.name, p.maxResponseBytes])), bufferBudget: this.#o.bufferBudget,
      // The parser counts decoded characters, never more than the bytes they came from: no event within the byte bound is refused.
      maxEventChars: config.server.maxStreamEventBytes, countTokens: this.#o.countTokens,
    });
    const names = new Set(catalogue.list().flatMap((m) => [m.id, m.model]));
    const table = new RoutingTable(config, catalogue, (model) => prices.find(model));
    const agentTypes = new Set([
      ...Object.keys(config.agentPreferences), ...config.routingRules.flatMap((r) => r.condition.agentType ?? []),
      ...config.experiments.flatMap((e) => e.condition.agentType ?? []),
    ]);
    const router = new Router({ table, health: tracked });
    return {
      version: snapshot.version, config, providers, catalogue, router, prices, executor: new Executor({ route: router.route, caller, ledger, health: tracked, budget, resilience }),
      // The fetched lists are kept while the providers are the same ones: a new version need not fetch them again.
      modelLists: !changed && previous !== undefined ? previous.modelLists : new ProviderModelLists(providers.values()),
      knownModel: (name) => names.has(name),
      knownAgentType: (name) => agentTypes.has(name),
    };
  }

  #retire(providers: readonly ProviderAdapter[]): void {
    for (const p of providers) this.#retired.add(p);
    const timer = setTimeout(() => {
      this.#retiring.delete(timer);
      for (const p of providers) {
        this.#retired.delete(p);
        p.close().catch((err: unknown) => this.#o.logger.warn({ err, provider: p.name }, 'closing a retired provider failed'));
      }
    }, this.#retireAfterMs);
    timer.unref();
    this.#retiring.add(timer);
  }
}
