// Routing on Switchboard only, after the resilience phase.
// 1. One decision of the routing engine, in this process: 100 rules and 50 models, a request that matches the 60th
//    rule by priority and one that matches none; µs per decide() over many iterations after a warm-up.
// 2. What loaded rules cost a /v1 chat request at the top concurrency: cells with no rules, 100 rules none of which
//    matches, no rules, 100 rules plus one that matches (set through PATCH /api/config), in that order so that drift
//    lands on both sides.
import { configSchema } from '../src/config/schema.ts';
import type { RequestFacts } from '../src/domain/request-facts.ts';
import type { WireFormat } from '../src/providers/provider-adapter.ts';
import { decide } from '../src/routing/engine.ts';
import { ModelCatalogue } from '../src/routing/model-catalogue.ts';
import { RoutingTable } from '../src/routing/routing-table.ts';
import { stickyHash } from '../src/routing/sticky-hash.ts';
import { measureJsonCell } from './measure-json.ts';
import { patchConfig } from './patch-config.ts';
import { MATCHING_RULE, ROUTING_MODELS, ROUTING_RULES } from './routing-fixture.ts';
import type { BenchConfig } from './bench-config.ts';
import type { JsonCell } from './measure-json.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';
import type { Principal } from '../src/domain/principal.ts';

export interface DecisionTiming {
  readonly label: string;
  readonly usPerDecision: number;
}

export interface RoutingCell {
  readonly rules: 'none' | 'loaded' | 'matching';
  readonly cell: JsonCell;
}

export interface RoutingCells {
  readonly decisions: readonly DecisionTiming[];
  readonly cells: readonly RoutingCell[];
  readonly problems: readonly string[];
}

/** The bar of the routing issue: one decision with 100 rules and 50 models. */
export const DECISION_BAR_US = 20;
/** /v1 chat CPU per request with 100 rules loaded, against none. */
export const LOADED_RULES_BAR = 0.05;
const ITERATIONS = 200_000;
const CELL_ORDER: readonly RoutingCell['rules'][] = ['none', 'loaded', 'none', 'matching'];

function facts(agentType: string | undefined): RequestFacts {
  return {
    requestId: 'bench', model: 'bench-model-1', agentType, requestType: 'chat', workspaceId: undefined, userId: 'user-1', sessionId: undefined,
    keyId: 'bench', metadata: {}, header: () => undefined, contentLength: () => 60,
  };
}

/** µs per decide() with ROUTING_RULES and ROUTING_MODELS, for a request that matches the 60th rule and one that matches none. */
export function measureDecisions(): DecisionTiming[] {
  const config = configSchema.parse({ providers: [{ name: 'openai', type: 'openai', apiKey: 'env:OPENAI_API_KEY' }], models: ROUTING_MODELS, routingRules: ROUTING_RULES });
  const table = new RoutingTable(config, new ModelCatalogue(config, new Map<string, WireFormat>([['openai', 'openai']])), () => undefined);
  const principal: Principal = { keyId: 'bench', kind: 'key', role: 'member', scopes: new Set(['inference'] as const), workspaceId: null, models: null, tier: null, userId: null };
  return [['matches the 60th rule', 'agent-59'], ['matches no rule', 'nobody']].map(([label, agent]) => {
    const input = { facts: facts(agent), principal, table, health: undefined, random: Math.random, hash: stickyHash, now: Date.now(), explain: false };
    for (let i = 0; i < ITERATIONS / 4; i++) decide(input);
    const started = performance.now();
    for (let i = 0; i < ITERATIONS; i++) decide(input);
    return { label: label as string, usPerDecision: ((performance.now() - started) * 1000) / ITERATIONS };
  });
}

const PATCHES: Readonly<Record<RoutingCell['rules'], Record<string, unknown>>> = {
  none: { models: null, routingRules: null },
  loaded: { models: ROUTING_MODELS, routingRules: ROUTING_RULES },
  matching: { models: ROUTING_MODELS, routingRules: [...ROUTING_RULES, MATCHING_RULE] },
};

export async function measureRouting(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, report: (label: string, cell: JsonCell) => void): Promise<RoutingCells> {
  const decisions = measureDecisions();
  const cells: RoutingCell[] = [];
  const problems: string[] = [];
  try {
    for (const rules of CELL_ORDER) {
      await patchConfig(target, PATCHES[rules]);
      const cell = await measureJsonCell(target, c, config, pinning, noise);
      cells.push({ rules, cell });
      report(`rules ${rules}`, cell);
    }
  } catch (err) {
    problems.push(`routing cells broke off: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    await patchConfig(target, PATCHES.none).catch((err: unknown) => problems.push(`routing configuration not put back: ${String(err)}`));
  }
  return { decisions, cells, problems };
}

/** Mean CPU µs/req of the cells with `rules`; null when none measured it. */
export function meanCpu(cells: readonly RoutingCell[], rules: RoutingCell['rules']): number | null {
  const values = cells.filter((c) => c.rules === rules).map((c) => c.cell.cpuUsPerRequest).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}
