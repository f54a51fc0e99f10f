import type { z } from 'zod';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import { slugOf, type RoutingRuleConfig, type routingRuleSchema } from '../config/routing-schemas.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { withBodyPaths } from './body-paths.ts';
import type { ChangeSubject, ConfigAdmin } from './config-admin.ts';
import { invalidRequest } from './invalid-request.ts';
import { listOf, patched, withNameIds } from './section-values.ts';
import { uniqueId } from './unique-id.ts';

export type RuleInput = z.input<typeof routingRuleSchema>;
export type StoredRule = RoutingRuleConfig & { readonly id: string };

/** The audit subject of a change to the rule with this id: the rule before and after. */
export function ruleSubject(action: string, id: string): ChangeSubject {
  return { action, targetType: 'rule', targetId: id, pick: (config) => config.routingRules.find((r) => r.id === id) };
}

/** Seed 002's routing rules over the shared `routingRules` section, one configuration version per change. */
export class RoutingRules {
  readonly #admin: ConfigAdmin;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#now = now;
  }

  /** Highest priority first; equal priorities in the order the engine takes them (as defined). */
  list(): StoredRule[] {
    return this.#admin.current().config.routingRules.map((r, i) => ({ r, i })).sort((a, b) => b.r.priority - a.r.priority || a.i - b.i).map(({ r }) => r);
  }

  get(id: string): StoredRule {
    const rule = this.#admin.current().config.routingRules.find((r) => r.id === id);
    if (rule === undefined) throw ruleNotFound(id);
    return rule;
  }

  async create(input: RuleInput, author: ChangeAuthor): Promise<StoredRule> {
    const taken = new Set(this.#admin.current().config.routingRules.map((r) => r.id));
    const id = input.id ?? uniqueId(slugOf(input.name), taken);
    const at = this.#now().toISOString();
    let index = 0;
    await withBodyPaths(() => this.#admin.editSection('routingRules', (current) => {
      const list = withNameIds(listOf(current));
      index = list.length;
      return [...list, { ...input, id, createdAt: at, updatedAt: at }];
    }, { author, summary: `rule ${id} created (${input.name}, priority ${input.priority ?? 0})`, audit: ruleSubject('rule.create', id) }), () => `routingRules.${index}`);
    return this.get(id);
  }

  /** Replaces the fields given (null: back to the default); the id cannot change. */
  async update(id: string, patch: Readonly<Record<string, unknown>>, author: ChangeAuthor): Promise<StoredRule> {
    this.get(id);
    if (patch.id !== undefined && patch.id !== id) throw invalidRequest([{ path: 'id', message: `the id cannot change (it is "${id}")` }], 'body');
    const fields = Object.keys(patch).filter((k) => k !== 'id');
    let index = 0;
    await withBodyPaths(() => this.#admin.editSection('routingRules', (current) => {
      const list = withNameIds(listOf(current));
      index = list.findIndex((r) => r.id === id);
      const entry = list[index];
      if (entry === undefined) throw ruleNotFound(id);
      list[index] = { ...patched(entry, patch), id, updatedAt: this.#now().toISOString() };
      return list;
    }, { author, summary: `rule ${id} updated: ${fields.join(', ') || 'nothing'}`, audit: ruleSubject('rule.update', id) }), () => `routingRules.${index}`);
    return this.get(id);
  }

  async remove(id: string, author: ChangeAuthor): Promise<void> {
    const rule = this.get(id);
    await withBodyPaths(() => this.#admin.editSection('routingRules', (current) => {
      const list = withNameIds(listOf(current));
      if (!list.some((r) => r.id === id)) throw ruleNotFound(id);
      return list.filter((r) => r.id !== id);
    }, { author, summary: `rule ${id} deleted (${rule.name})`, audit: ruleSubject('rule.delete', id) }), () => undefined);
  }
}

export function ruleNotFound(id: string): GatewayError {
  return new GatewayError('SB_RULE_NOT_FOUND', { message: `No routing rule has the id "${id.slice(0, 200)}". GET /api/routing/rules lists them.` });
}
