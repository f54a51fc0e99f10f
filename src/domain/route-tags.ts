import type { RequestFacts } from './request-facts.ts';

/** What the routing decision said about a request, carried into its usage records (plain data). */
export interface RouteTags {
  readonly workspaceId: string | null;
  readonly agentType: string | null;
  readonly userId: string | null;
  readonly ruleId: string | null;
  readonly experimentId: string | null;
  readonly variant: string | null;
}
export const NO_ROUTE_TAGS: RouteTags = Object.freeze({ workspaceId: null, agentType: null, userId: null, ruleId: null, experimentId: null, variant: null });

/** What the request said of itself (workspace, agent type, user), before any rule: none of them → NO_ROUTE_TAGS. */
export function routeTagsOf(facts: RequestFacts): RouteTags {
  if (facts.workspaceId === undefined && facts.agentType === undefined && facts.userId === undefined) return NO_ROUTE_TAGS;
  return { workspaceId: facts.workspaceId ?? null, agentType: facts.agentType ?? null, userId: facts.userId ?? null, ruleId: null, experimentId: null, variant: null };
}
