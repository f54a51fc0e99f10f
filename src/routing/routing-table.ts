import type { AgentPreferenceConfig, OverrideConfig, StickyKey, WorkspaceConfig } from '../config/routing-schemas.ts';
import type { Config, Pricing } from '../config/schema.ts';
import type { ModelCatalogue, ModelEntry } from './model-catalogue.ts';
import { compileCondition, type ConditionCheck } from './rule-condition.ts';

export interface RuleTarget {
  readonly modelId: string;
  readonly weight: number;
  readonly canary: boolean;
}

export interface CompiledRule {
  readonly id: string;
  readonly name: string;
  readonly priority: number;
  /** The agent types the condition names; undefined: any. */
  readonly agentTypes: readonly string[] | undefined;
  readonly check: ConditionCheck;
  /** In fallback order (fallbackOrder, then as listed). */
  readonly targets: readonly RuleTarget[];
  /** Percent of the rule's traffic for its canary targets; undefined without a traffic split. */
  readonly canaryPercent: number | undefined;
  readonly stickyKey: StickyKey;
}

export interface CompiledExperiment {
  readonly id: string;
  readonly check: ConditionCheck;
  readonly variants: ReadonlyArray<{ readonly name: string; readonly modelId: string; readonly allocation: number }>;
  readonly stickyKey: StickyKey;
}

export interface CompiledOverride {
  readonly id: string;
  readonly kind: OverrideConfig['kind'];
  readonly match: OverrideConfig['match'];
  readonly modelId: string | undefined;
  readonly endpoint: string | undefined;
  readonly reason: string;
  readonly expiresAtMs: number;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * Everything the routing engine reads, compiled once per configuration version: rules by priority with their
 * conditions compiled, running experiments, overrides with their expiry as a number, agent preferences,
 * workspaces, and the catalogue that says what each model name means.
 */
export class RoutingTable {
  readonly catalogue: ModelCatalogue;
  readonly rules: readonly CompiledRule[];
  readonly experiments: readonly CompiledExperiment[];
  readonly overrides: readonly CompiledOverride[];
  readonly agents: ReadonlyMap<string, AgentPreferenceConfig>;
  readonly workspaces: ReadonlyMap<string, WorkspaceConfig>;
  /** True when nothing but the requested model and its fallbacks can shape a plan: the engine's fast path. */
  readonly plain: boolean;
  readonly #prices: (model: string) => Pricing | undefined;
  /** Rules an agent type can match, in priority order: those naming it, and those naming none. */
  readonly #byAgent = new Map<string, readonly CompiledRule[]>();
  readonly #anyAgent: readonly CompiledRule[];

  constructor(config: Config, catalogue: ModelCatalogue, prices: (model: string) => Pricing | undefined) {
    this.catalogue = catalogue;
    this.#prices = prices;
    this.rules = config.routingRules
      .map((r, index) => ({ r, index }))
      .filter(({ r }) => r.enabled)
      // Higher priority first; among equals the one defined first (sort is stable).
      .sort((a, b) => b.r.priority - a.r.priority || a.index - b.index)
      .map(({ r }): CompiledRule => {
        const ordered = r.targetModels.map((t, i) => ({ t, i })).sort((a, b) => (a.t.fallbackOrder ?? Number.MAX_SAFE_INTEGER) - (b.t.fallbackOrder ?? Number.MAX_SAFE_INTEGER) || a.i - b.i);
        const anyMarked = r.targetModels.some((t) => t.canary !== undefined);
        const targets = ordered.map(({ t }, position) => ({ modelId: t.modelId, weight: t.weight, canary: anyMarked ? t.canary === true : position > 0 }));
        return { id: r.id, name: r.name, priority: r.priority, agentTypes: r.condition.agentType, check: compileCondition(r.condition), targets, canaryPercent: r.trafficSplit?.canary, stickyKey: r.stickyKey };
      });
    // A hundred rules keyed by agent type cost a request one lookup instead of a hundred checks.
    this.#anyAgent = this.rules.filter((r) => r.agentTypes === undefined);
    for (const agent of new Set(this.rules.flatMap((r) => r.agentTypes ?? []))) {
      this.#byAgent.set(agent, this.rules.filter((r) => r.agentTypes === undefined || r.agentTypes.includes(agent)));
    }
    this.experiments = config.experiments.filter((e) => e.status === 'running').map((e) => ({
      id: e.id, check: compileCondition(e.condition), variants: e.variants, stickyKey: e.stickyKey,
    }));
    this.overrides = config.overrides.map((o) => ({
      id: o.id, kind: o.kind, match: o.match, modelId: o.modelId, endpoint: o.endpoint, reason: o.reason, expiresAtMs: Date.parse(o.expiresAt),
    }));
    this.agents = new Map(Object.entries(config.agentPreferences));
    // Only workspaces that restrict or rank models take part in routing; names, members, limits and budgets do not.
    this.workspaces = new Map(Object.entries(config.workspaces).filter(([, w]) => w.modelRestrictions !== undefined || w.complianceRequirements !== undefined || w.qualityRequirements !== undefined));
    this.plain = this.rules.length === 0 && this.experiments.length === 0 && this.overrides.length === 0 && this.agents.size === 0 && this.workspaces.size === 0
      && !catalogue.registered().some((m) => m.status !== 'active' || m.reportedUnhealthy || m.primaries.length + m.secondaries.length > 1);
  }

  /** The rules that can match a request of this agent type, in priority order (the others cannot). */
  rulesFor(agentType: string | undefined): readonly CompiledRule[] {
    return (agentType === undefined ? undefined : this.#byAgent.get(agentType)) ?? this.#anyAgent;
  }

  /** Every name that means the same model as `name` (for conditions and restrictions on any of them). */
  namesOf = (name: string): ReadonlySet<string> => this.catalogue.entry(name)?.names ?? NO_NAMES;

  entry(name: string): ModelEntry | undefined {
    return this.catalogue.entry(name);
  }

  /** USD per token, the larger of input and output: what maxCostPerToken is checked against. */
  costPerToken(entry: ModelEntry): number | undefined {
    const first = entry.primaries[0]?.target ?? entry.secondaries[0];
    const price = entry.pricing ?? (first === undefined ? undefined : this.#prices(first.model));
    return price === undefined ? undefined : Math.max(price.inputPerMTok, price.outputPerMTok) / 1_000_000;
  }
}
