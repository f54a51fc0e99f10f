import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import type { AgentPreferenceConfig, agentPreferenceSchema } from '../config/routing-schemas.ts';
import type { Principal } from '../domain/principal.ts';
import type { RequestFacts } from '../domain/request-facts.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { LiveRouting } from '../routing/live-routing.ts';
import type { CandidateSource, DecisionFailure, DecisionStep, Explanation } from '../routing/route-decision.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ConfigAdmin } from './config-admin.ts';
import { recordOf } from './section-values.ts';

export type PreferenceInput = z.input<typeof agentPreferenceSchema>;

/** GET /api/agents/{agentType}/models: every candidate the engine looked at for this agent, kept or not. */
export interface AgentModels {
  readonly agentType: string;
  readonly models: ReadonlyArray<{ readonly modelId: string; readonly kept: boolean; readonly step: DecisionStep; readonly reason: string; readonly source: CandidateSource }>;
  /** Why nothing could serve this agent now; null when something can. */
  readonly failure: DecisionFailure | null;
  readonly explanation: Explanation | undefined;
}

/** Seed 002's agent preferences over the shared `agentPreferences` section (a record by agent type). */
export class AgentPreferences {
  readonly #admin: ConfigAdmin;
  readonly #routing: LiveRouting;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, routing: LiveRouting, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#routing = routing;
    this.#now = now;
  }

  get(agentType: string): AgentPreferenceConfig {
    const prefs = this.#admin.current().config.agentPreferences[agentType];
    if (prefs === undefined) throw new GatewayError('SB_AGENT_NOT_FOUND', { message: `No preferences are set for agent type "${agentType.slice(0, 200)}". POST /api/agents/{agentType}/preferences sets them.` });
    return prefs;
  }

  /** Replaces the agent type's preferences whole. */
  async set(agentType: string, input: PreferenceInput, author: ChangeAuthor): Promise<AgentPreferenceConfig> {
    const existed = this.#admin.current().config.agentPreferences[agentType] !== undefined;
    await withBodyPaths(() => this.#admin.editSection('agentPreferences', (current) => ({
      ...recordOf(current), [agentType]: { ...input, updatedAt: this.#now().toISOString() },
    }), {
      author, summary: `agent ${agentType} preferences ${existed ? 'replaced' : 'set'}: preferred ${(input.preferredModels ?? []).join(', ') || 'none'}`,
      audit: { action: 'agent_preferences.set', targetType: 'agent_preferences', targetId: agentType, pick: (config) => config.agentPreferences[agentType] },
    }), () => `agentPreferences.${agentType}`);
    return this.get(agentType);
  }

  /**
   * The models that could serve a request of this agent type now, as the engine decides one that names no
   * model (a chat request, of the calling key): overrides, experiments, rules and preferences, then every filter.
   */
  models(agentType: string, principal: Principal): AgentModels {
    const facts: RequestFacts = {
      requestId: `agent-models-${randomUUID()}`, model: undefined, agentType, requestType: 'chat', workspaceId: undefined, userId: undefined,
      sessionId: undefined, keyId: principal.keyId, metadata: {}, header: () => undefined, contentLength: () => 0,
    };
    const decision = this.#routing.current.router.decide(facts, principal, true);
    const models = (decision.explanation?.candidates ?? []).map((c) => ({ modelId: c.model, kept: c.kept, step: c.step, reason: c.reason, source: c.source }));
    return { agentType, models, failure: decision.failure ?? null, explanation: decision.explanation };
  }
}
