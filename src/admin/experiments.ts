import type { z } from 'zod';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import type { Tree } from '../config/merge-patch.ts';
import { slugOf, type ExperimentConfig, type experimentSchema } from '../config/routing-schemas.ts';
import type { Config } from '../config/schema.ts';
import type { Feedback } from '../domain/experiment-stats.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import type { UsageStore } from '../storage/ports.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ChangeSubject, ConfigAdmin } from './config-admin.ts';
import { experimentResults, type ExperimentResults } from './experiment-results.ts';
import { findModel } from './find-model.ts';
import { invalidRequest } from './invalid-request.ts';
import type { StoredRule } from './routing-rules.ts';
import { listOf, withNameIds } from './section-values.ts';
import { uniqueId } from './unique-id.ts';

export type ExperimentInput = z.input<typeof experimentSchema>;
export type StoredExperiment = ExperimentConfig & { readonly id: string };
type Status = ExperimentConfig['status'];

/** Priority of the rule that makes a promoted winner permanent: above the rules people write by hand. */
export const WINNER_RULE_PRIORITY = 1000;

export interface PromoteInput {
  /** The winning variant; default: the one the results' verdict names. */
  readonly variant?: string | undefined;
  /** For an experiment without a condition: the models entry whose traffic goes to the winner. */
  readonly model?: string | undefined;
}

export interface FeedbackInput {
  readonly requestId: string;
  readonly score: number;
  readonly comment?: string | undefined;
}

/**
 * A/B experiments over the shared `experiments` section: draft → running (start) → stopped (stop) → completed
 * (promote). Only running ones assign traffic (the engine); their results come from the usage store's
 * per-variant aggregates and feedback scores.
 */
export class Experiments {
  readonly #admin: ConfigAdmin;
  readonly #usage: Pick<UsageStore, 'variantStats' | 'putFeedback'>;
  readonly #flush: () => Promise<void>;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, usage: Pick<UsageStore, 'variantStats' | 'putFeedback'>, flush: () => Promise<void>, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#usage = usage;
    this.#flush = flush;
    this.#now = now;
  }

  list(): StoredExperiment[] {
    return [...this.#admin.current().config.experiments];
  }

  get(id: string): StoredExperiment {
    const experiment = this.#admin.current().config.experiments.find((e) => e.id === id);
    if (experiment === undefined) throw experimentNotFound(id);
    return experiment;
  }

  /** Per variant figures and the tests against the control, over the requests since it was first started. */
  async results(id: string): Promise<ExperimentResults> {
    const experiment = this.get(id);
    // Records still queued in this process count too: the last second's requests are part of the answer.
    await this.#flush();
    return experimentResults(experiment, await this.#usage.variantStats(experiment.id, experiment.startedAt));
  }

  /** A new experiment, as a draft: it assigns no traffic before it is started. */
  async create(input: ExperimentInput, author: ChangeAuthor): Promise<StoredExperiment> {
    const taken = new Set(this.#admin.current().config.experiments.map((e) => e.id));
    const id = input.id ?? uniqueId(slugOf(input.name), taken);
    let index = 0;
    const variants = input.variants.map((v) => `${v.name} (${v.modelId}) ${v.allocation}%`).join(', ');
    await withBodyPaths(() => this.#admin.editSection('experiments', (current) => {
      const list = withNameIds(listOf(current));
      index = list.length;
      return [...list, { ...input, id, status: 'draft', createdAt: this.#now().toISOString() }];
    }, { author, summary: `experiment ${id} created (draft): ${variants}`, audit: experimentSubject('experiment.create', id) }), () => `experiments.${index}`);
    return this.get(id);
  }

  /** draft or stopped → running; startedAt is the first start (results count from it). */
  async start(id: string, author: ChangeAuthor): Promise<StoredExperiment> {
    return this.#transition(id, ['draft', 'stopped'], 'running', author, (e) => {
      const { stoppedAt: _stopped, ...rest } = e;
      return { ...rest, startedAt: typeof e.startedAt === 'string' ? e.startedAt : this.#now().toISOString() };
    });
  }

  /** running → stopped: no more traffic is assigned; the results stay. */
  async stop(id: string, author: ChangeAuthor): Promise<StoredExperiment> {
    return this.#transition(id, ['running'], 'stopped', author, (e) => ({ ...e, stoppedAt: this.#now().toISOString() }));
  }

  /**
   * Completes the experiment with a winner and, in the same version, makes the winner permanent: a rule
   * "<id>-winner" (priority 1000) with the experiment's condition, or for an experiment without one a
   * condition on the model `input.model` names, sending those requests to the winner's model.
   */
  async promote(id: string, input: PromoteInput, author: ChangeAuthor): Promise<{ readonly experiment: StoredExperiment; readonly rule: StoredRule }> {
    const experiment = this.get(id);
    assertStatus(experiment.id, experiment.status, ['running', 'stopped'], 'promote');
    let name = input.variant;
    if (name === undefined) {
      const results = await this.results(id);
      if (results.winner === null) {
        const verdicts = results.comparisons.map((c) => `${c.variant}: ${c.verdict}`).join(', ') || 'no comparison';
        throw new GatewayError('SB_EXPERIMENT_STATE', { message: `Experiment "${id}" has no winner yet (${verdicts}); name one with {"variant": …} to promote it anyway.` });
      }
      name = results.winner;
    }
    const variant = experiment.variants.find((v) => v.name === name);
    if (variant === undefined) throw invalidRequest([{ path: 'variant', message: `no variant "${name}" (${experiment.variants.map((v) => v.name).join(', ')})` }], 'body');
    const conditioned = Object.keys(experiment.condition).length > 0;
    if (conditioned && input.model !== undefined) {
      throw invalidRequest([{ path: 'model', message: 'the experiment\'s condition says which requests the winner takes; model is only for an experiment without a condition' }], 'body');
    }
    if (!conditioned && input.model === undefined) {
      throw new GatewayError('SB_EXPERIMENT_STATE', { message: `Experiment "${id}" has no condition, so nothing says which requests the winner should take; send {"model": …} naming the models entry whose traffic goes to ${variant.modelId}.` });
    }
    if (input.model !== undefined) findModel(this.#admin.current().config, input.model);
    const ruleId = `${id.slice(0, 193)}-winner`;
    const at = this.#now().toISOString();
    const took = conditioned ? 'the requests its condition matches' : `the traffic of model ${input.model ?? ''}`;
    await withBodyPaths(() => this.#admin.editSections(['experiments', 'routingRules'], (current) => {
      const experiments = withNameIds(listOf(current.experiments));
      const index = experiments.findIndex((e) => e.id === id);
      const entry = experiments[index];
      if (entry === undefined) throw experimentNotFound(id);
      assertStatus(id, statusOf(entry), ['running', 'stopped'], 'promote');
      experiments[index] = { ...entry, status: 'completed', winner: variant.name, ...(typeof entry.stoppedAt === 'string' ? {} : { stoppedAt: at }) };
      const condition = conditioned ? entry.condition ?? {} : { model: [input.model] };
      const rule = {
        id: ruleId, name: `Experiment ${experiment.name}: ${variant.name} won`.slice(0, 200),
        description: `Made permanent by promoting experiment ${id}: variant ${variant.name} (${variant.modelId}) takes ${took}.`,
        condition, targetModels: [{ modelId: variant.modelId }], priority: WINNER_RULE_PRIORITY, createdAt: at, updatedAt: at,
      };
      const rules = withNameIds(listOf(current.routingRules)).filter((r) => r.id !== ruleId);
      return { experiments, routingRules: [...rules, rule] };
    }, {
      author, summary: `experiment ${id} promoted: variant ${variant.name} (${variant.modelId}) won; rule ${ruleId} sends ${took} to it`,
      // One event: the experiment completed and the rule that makes its winner permanent, each before and after.
      audit: { action: 'experiment.promote', targetType: 'experiment', targetId: id, pick: (config) => ({ experiment: experimentIn(config, id), rule: config.routingRules.find((r) => r.id === ruleId) ?? null }) },
    }), () => undefined);
    const rule = this.#admin.current().config.routingRules.find((r) => r.id === ruleId);
    if (rule === undefined) throw new Error(`rule ${ruleId} missing after the promotion`);
    return { experiment: this.get(id), rule };
  }

  /** Stores a score for one request of the experiment (the last one per request counts). */
  async feedback(id: string, input: FeedbackInput): Promise<Feedback> {
    const experiment = this.get(id);
    const feedback: Feedback = { experimentId: experiment.id, requestId: input.requestId, score: input.score, comment: input.comment ?? null, at: this.#now().toISOString() };
    await this.#usage.putFeedback(feedback);
    return feedback;
  }

  async #transition(id: string, from: readonly Status[], to: Status, author: ChangeAuthor, change: (entry: Tree) => Tree): Promise<StoredExperiment> {
    const experiment = this.get(id);
    assertStatus(id, experiment.status, from, to === 'running' ? 'start' : 'stop');
    let index = 0;
    await withBodyPaths(() => this.#admin.editSection('experiments', (current) => {
      const list = withNameIds(listOf(current));
      index = list.findIndex((e) => e.id === id);
      const entry = list[index];
      if (entry === undefined) throw experimentNotFound(id);
      assertStatus(id, statusOf(entry), from, to === 'running' ? 'start' : 'stop');
      list[index] = { ...change(entry), id, status: to };
      return list;
    }, { author, summary: `experiment ${id} ${to === 'running' ? 'started' : 'stopped'} (was ${experiment.status})`, audit: experimentSubject(to === 'running' ? 'experiment.start' : 'experiment.stop', id) }), () => `experiments.${index}`);
    return this.get(id);
  }
}

function experimentIn(config: Config, id: string): StoredExperiment | null {
  return config.experiments.find((e) => e.id === id) ?? null;
}

function experimentSubject(action: string, id: string): ChangeSubject {
  return { action, targetType: 'experiment', targetId: id, pick: (config) => experimentIn(config, id) };
}

function statusOf(entry: Tree): Status {
  return typeof entry.status === 'string' ? entry.status as Status : 'draft';
}

function assertStatus(id: string, status: Status, allowed: readonly Status[], step: string): void {
  if (allowed.includes(status)) return;
  throw new GatewayError('SB_EXPERIMENT_STATE', { message: `Experiment "${id}" is ${status}; ${step} needs it ${allowed.join(' or ')}.` });
}

function experimentNotFound(id: string): GatewayError {
  return new GatewayError('SB_EXPERIMENT_NOT_FOUND', { message: `No experiment has the id "${id.slice(0, 200)}". GET /api/experiments lists them.` });
}
