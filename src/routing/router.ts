import { assertModelAllowed } from '../auth/model-permission.ts';
import type { CallContext } from '../domain/call-context.ts';
import type { Plan } from '../domain/plan.ts';
import type { Principal } from '../domain/principal.ts';
import type { RequestFacts } from '../domain/request-facts.ts';
import { NO_ROUTE_TAGS, routeTagsOf } from '../domain/route-tags.ts';
import { decide, type HealthView } from './engine.ts';
import type { Decision } from './route-decision.ts';
import type { RoutingTable } from './routing-table.ts';
import { stickyHash } from './sticky-hash.ts';

export interface RouterOptions {
  readonly table: RoutingTable;
  readonly health: HealthView | undefined;
  readonly random?: () => number;
  readonly hash?: (value: string) => number;
  readonly clock?: () => number;
}

/**
 * The engine bound to one configuration version. While nothing but the requested model can shape a plan (no
 * rules, experiments, overrides, preferences, workspaces, inactive or multi-endpoint models), a decision is the
 * catalogue's memoised plan: the hot path pays for routing only when routing has something to decide.
 */
export class Router {
  readonly #o: RouterOptions;
  readonly #random: () => number;
  readonly #hash: (value: string) => number;
  readonly #clock: () => number;
  readonly #plain = new WeakMap<Plan, Decision>();

  constructor(options: RouterOptions) {
    this.#o = options;
    this.#random = options.random ?? Math.random;
    this.#hash = options.hash ?? stickyHash;
    this.#clock = options.clock ?? Date.now;
  }

  get table(): RoutingTable {
    return this.#o.table;
  }

  route = (ctx: CallContext): Decision => {
    const { facts } = ctx;
    if (this.#o.table.plain && facts.model !== undefined) return this.#plainDecision(facts, ctx.principal);
    return this.decide(facts, ctx.principal, false);
  };

  decide(facts: RequestFacts, principal: Principal, explain: boolean): Decision {
    return decide({ facts, principal, table: this.#o.table, health: this.#o.health, random: this.#random, hash: this.#hash, now: this.#clock(), explain });
  }

  #plainDecision(facts: RequestFacts, principal: Principal): Decision {
    const model = facts.model ?? '';
    const plan = this.#o.table.catalogue.resolve(model);
    const first = plan.targets[0];
    assertModelAllowed(principal, model, first?.provider, first?.model);
    const tags = routeTagsOf(facts);
    if (tags !== NO_ROUTE_TAGS) return { plan, model: first?.modelKey ?? null, tags, overrideId: null, failure: undefined, explanation: undefined };
    let decision = this.#plain.get(plan);
    if (decision === undefined) {
      decision = Object.freeze({ plan, model: first?.modelKey ?? null, tags, overrideId: null, failure: undefined, explanation: undefined });
      this.#plain.set(plan, decision);
    }
    return decision;
  }
}
