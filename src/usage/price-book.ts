import type { Pricing } from '../config/schema.ts';
import type { TokenUsage } from '../domain/token-usage.ts';

/** Looks up prices by exact model id, then by the longest matching prefix. Built once per config snapshot. */
export class PriceBook {
  readonly #exact: ReadonlyMap<string, Pricing>;
  readonly #byLength: ReadonlyArray<readonly [string, Pricing]>;
  readonly #memo = new Map<string, Pricing | null>();

  constructor(...tables: ReadonlyArray<Readonly<Record<string, Pricing>>>) {
    const merged = new Map<string, Pricing>();
    for (const table of tables) for (const [model, price] of Object.entries(table)) merged.set(model, price);
    this.#exact = merged;
    this.#byLength = [...merged].sort((a, b) => b[0].length - a[0].length);
  }

  find(model: string): Pricing | undefined {
    const memo = this.#memo.get(model);
    if (memo !== undefined) return memo ?? undefined;
    const found = this.#exact.get(model) ?? this.#byLength.find(([prefix]) => model.startsWith(prefix))?.[1];
    if (this.#memo.size < 10_000) this.#memo.set(model, found ?? null);
    return found;
  }

  /** USD cost of one call; 0 when the model has no price. */
  cost(model: string, usage: TokenUsage): number {
    const p = this.find(model);
    return p === undefined ? 0 : this.costWith(p, usage);
  }

  /** USD cost of one call at the given prices. */
  costWith(p: Pricing, usage: TokenUsage): number {
    const micro = usage.inputTokens * p.inputPerMTok + usage.outputTokens * p.outputPerMTok
      + usage.cachedInputTokens * (p.cachedInputPerMTok ?? p.inputPerMTok)
      + usage.cacheWriteTokens * (p.cacheWritePerMTok ?? p.inputPerMTok);
    return micro / 1_000_000;
  }
}
