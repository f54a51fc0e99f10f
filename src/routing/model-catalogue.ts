import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { WireFormat } from '../providers/provider-adapter.ts';
import type { Plan, Target } from './plan.ts';

/** A model as listed by GET /v1/models. */
export interface CatalogueEntry {
  readonly id: string;
  readonly provider: string;
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

  constructor(config: Config, formats: ReadonlyMap<string, WireFormat>) {
    this.#formats = formats;
    for (const m of config.models) {
      const target = this.#target(m.provider, m.model ?? m.name, m.pricing);
      for (const name of [m.name, ...m.aliases]) this.#named.set(name, target);
    }
    for (const p of config.providers) {
      for (const model of p.models) if (!this.#listed.has(model)) this.#listed.set(model, this.#target(p.name, model, undefined));
    }
    this.#prefixes = Object.entries(config.routing.prefixes)
      .filter(([, provider]) => formats.has(provider))
      .sort((a, b) => b[0].length - a[0].length);
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

  /** Every model a caller can name, catalogue entries first. */
  list(): CatalogueEntry[] {
    const seen = new Set<string>();
    const out: CatalogueEntry[] = [];
    for (const [id, t] of [...this.#named, ...this.#listed]) {
      if (!seen.has(id)) out.push({ id, provider: t.provider });
      seen.add(id);
    }
    return out;
  }

  #resolve(requested: string): Plan | undefined {
    const slash = requested.indexOf('/');
    if (slash > 0 && this.#formats.has(requested.slice(0, slash)) && slash < requested.length - 1) {
      return this.#plan(requested, this.#target(requested.slice(0, slash), requested.slice(slash + 1), this.#named.get(requested.slice(slash + 1))?.pricing), 'provider-prefix');
    }
    const named = this.#named.get(requested);
    if (named !== undefined) return this.#plan(requested, named, 'catalogue');
    const listed = this.#listed.get(requested);
    if (listed !== undefined) return this.#plan(requested, listed, 'provider-models');
    const prefix = this.#prefixes.find(([p]) => requested.startsWith(p));
    return prefix === undefined ? undefined : this.#plan(requested, this.#target(prefix[1], requested, undefined), 'name-prefix');
  }

  #plan(modelRequested: string, target: Target, reason: Plan['reason']): Plan {
    return Object.freeze({ modelRequested, targets: Object.freeze([target]), reason });
  }

  #target(provider: string, model: string, pricing: Target['pricing']): Target {
    return Object.freeze({ provider, model, format: this.#formats.get(provider) ?? 'openai', pricing });
  }
}
