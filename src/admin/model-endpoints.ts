import type { z } from 'zod';
import type { ChangeAuthor } from '../audit/audit-event-of.ts';
import type { ModelEndpointConfig, modelEndpointSchema } from '../config/routing-schemas.ts';
import type { Config, ModelConfig } from '../config/schema.ts';
import { providerEndpoint, type EndpointRef } from '../domain/endpoint-ref.ts';
import type { EndpointStatus } from '../health/health-registry.ts';
import { endpointIdOf, endpointProviderName } from '../routing/endpoint-providers.ts';
import type { ConfigAdmin } from './config-admin.ts';
import { editModel } from './edit-model.ts';
import { findModel } from './find-model.ts';
import { modelHealth, type ModelHealth } from './model-health.ts';
import { modelSubject } from './model-registry.ts';

export type EndpointInput = z.input<typeof modelEndpointSchema>;

/** Seed 002's health body: what a monitor measured. */
export interface HealthReport {
  readonly status: 'healthy' | 'degraded' | 'unhealthy';
  readonly responseTime?: number | undefined;
  readonly errorRate?: number | undefined;
  readonly availability?: number | undefined;
}

/** A registered model's endpoint with its id and the provider name it is called as ("<model id>@<endpoint id>"). */
export type NamedEndpoint = ModelEndpointConfig & { readonly id: string; readonly provider: string };

export interface HealthView {
  status(endpoint: EndpointRef): EndpointStatus;
}

/** Seed 002's endpoints and health of a registered model. */
export class ModelEndpoints {
  readonly #admin: ConfigAdmin;
  readonly #health: HealthView;
  readonly #now: () => Date;

  constructor(admin: ConfigAdmin, health: HealthView, now: () => Date = () => new Date()) {
    this.#admin = admin;
    this.#health = health;
    this.#now = now;
  }

  /** Appends an endpoint; its id is the one given or the first free e1, e2 … */
  async add(ref: string, input: EndpointInput, author: ChangeAuthor): Promise<NamedEndpoint> {
    const model = findModel(this.#admin.current().config, ref);
    const taken = new Set(model.endpoints.map((e, i) => endpointIdOf(e, i)));
    let n = 1;
    while (taken.has(`e${n}`)) n++;
    const id = input.id ?? `e${n}`;
    let at = 0;
    const audit = { action: 'endpoint.create', targetType: 'endpoint', targetId: endpointProviderName(model.id, id), pick: (config: Config) => endpointIn(config, model.id, id) };
    const after = await editModel(this.#admin, model.id, { author, summary: `model ${model.id} endpoint ${id} added (${input.url})`, audit }, (entry) => {
      const endpoints = Array.isArray(entry.endpoints) ? [...entry.endpoints as unknown[]] : [];
      at = endpoints.length;
      return { ...entry, endpoints: [...endpoints, { ...input, id }] };
    }, this.#now, () => `endpoints.${at}`);
    const endpoint = named(after).find((e) => e.id === id);
    if (endpoint === undefined) throw new Error(`endpoint ${id} missing after it was added`);
    return endpoint;
  }

  /** Each endpoint with its id, provider name and the health registry's state of it. */
  list(ref: string): Array<NamedEndpoint & { readonly health: EndpointStatus }> {
    return named(findModel(this.#admin.current().config, ref)).map((e) => ({ ...e, health: this.#health.status(providerEndpoint(e.provider)) }));
  }

  /** Stores a monitor's report as the model's reportedHealth (an unhealthy model is served after every other). */
  async report(ref: string, report: HealthReport, author: ChangeAuthor): Promise<ModelHealth> {
    const model = findModel(this.#admin.current().config, ref);
    const reportedHealth = { ...report, reportedAt: this.#now().toISOString() };
    const meta = { author, summary: `model ${model.id} health reported: ${report.status}`, audit: modelSubject('model.report_health', model.id) };
    const after = await editModel(this.#admin, model.id, meta, (entry) => ({ ...entry, reportedHealth }), this.#now, () => 'reportedHealth');
    return modelHealth(after, (e) => this.#health.status(e));
  }

  health(ref: string): ModelHealth {
    return modelHealth(findModel(this.#admin.current().config, ref), (e) => this.#health.status(e));
  }
}

/** One endpoint of a model, by id, as a configuration has it (the audit event's before and after). */
function endpointIn(config: Config, modelId: string, endpointId: string): ModelEndpointConfig | undefined {
  return config.models.find((m) => m.id === modelId)?.endpoints.find((e, i) => endpointIdOf(e, i) === endpointId);
}

function named(model: ModelConfig): NamedEndpoint[] {
  return model.endpoints.map((e, i) => {
    const id = endpointIdOf(e, i);
    return { ...e, id, provider: endpointProviderName(model.id, id) };
  });
}
