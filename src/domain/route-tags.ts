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
