import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { UsageRecord } from '../domain/usage-record.ts';
import type { PipelineGauges, PipelineStats } from '../usage/record-pipeline.ts';
import { DeferredHistogram } from './deferred-histogram.ts';
import { DeferredCounter } from './deferred-counter.ts';

/** The label value for a model or provider the operator did not configure. */
export const OTHER = 'other';

/** Label values a name may take as it is: a membership test, cheap enough to run for every usage record. */
export type KnownName = (name: string) => boolean;

export interface GatewayMetricsOptions {
  /**
   * Whether a model id keeps its own `model` series. Model ids come from callers ("provider/anything", name
   * prefixes such as gpt-*), and each distinct label value is a series kept for the life of the process, so
   * only names the operator configured keep theirs and the rest are counted as "other". composeGateway passes
   * the catalogue's names. Default: the first DEFAULT_KNOWN_NAMES distinct names seen (tests, tools).
   */
  readonly knownModel?: KnownName;
  /** The same for `provider`. Provider names come from config; this is a second line of defence. */
  readonly knownProvider?: KnownName;
  /** The same for agent types, which callers send in a header: only those configuration names keep their series. */
  readonly knownAgentType?: KnownName;
}

/** How many distinct names the default KnownName admits. */
export const DEFAULT_KNOWN_NAMES = 100;

/** A KnownName for exactly `names`. */
export function knownNames(names: Iterable<string>): KnownName {
  const set = new Set(names);
  return (name) => set.has(name);
}

/** A KnownName that admits the first `limit` distinct names it is asked about, and no others. */
export function firstNamesSeen(limit: number): KnownName {
  const seen = new Set<string>();
  return (name) => {
    if (seen.has(name)) return true;
    if (seen.size >= limit) return false;
    seen.add(name);
    return true;
  };
}

/** What metrics read of the health registry (src/health/health-registry.ts). */
export interface HealthView {
  list(): ReadonlyArray<{ readonly id: string; readonly breaker: 'closed' | 'open' | 'half_open'; readonly available: boolean }>;
  onTransition(listener: (t: { readonly id: string; readonly kind: string; readonly to: string }) => void): () => void;
}

const BREAKER_VALUE = { closed: 0, half_open: 1, open: 2 } as const;

/** "0".."599" made once: HTTP statuses (0: no response) as label values, without a string per record. */
const STATUS_LABELS: readonly string[] = Array.from({ length: 600 }, (_, status) => String(status));

/** The gateway's Prometheus metrics; one registry per process, updated from usage records. */
export class GatewayMetrics implements PipelineGauges {
  readonly registry = new Registry();
  readonly #requests: DeferredCounter<'endpoint' | 'provider' | 'model' | 'status' | 'outcome'>;
  readonly #attempts: DeferredCounter<'provider' | 'status' | 'outcome'>;
  readonly #duration: DeferredHistogram<'endpoint' | 'provider'>;
  readonly #ttft: DeferredHistogram<'endpoint' | 'provider'>;
  readonly #tokens: DeferredCounter<'provider' | 'model' | 'type'>;
  readonly #cost: DeferredCounter<'provider' | 'model'>;
  readonly usageDropped: Counter;
  readonly usageWriteErrors: Counter<'sink'>;
  readonly #knownModel: KnownName;
  readonly #knownProvider: KnownName;
  readonly #retries: DeferredCounter<'provider'>;
  /** Seed 002's names, so a Model Router Service's dashboards and alerts keep working. */
  readonly #routerRequests: DeferredCounter<'model' | 'status' | 'agent_type'>;
  readonly #routerDuration: DeferredHistogram<'model'>;
  readonly #ruleMatches: DeferredCounter<'rule'>;
  readonly #knownAgent: KnownName;

  constructor(options: GatewayMetricsOptions = {}) {
    this.#knownModel = options.knownModel ?? firstNamesSeen(DEFAULT_KNOWN_NAMES);
    this.#knownProvider = options.knownProvider ?? firstNamesSeen(DEFAULT_KNOWN_NAMES);
    const registers = [this.registry];
    // prom-client's own names already start with process_ or nodejs_.
    collectDefaultMetrics({ register: this.registry, prefix: 'switchboard_' });
    this.#requests = new DeferredCounter(this.registry, 'switchboard_requests_total', 'AI requests answered, by endpoint, provider, model served, HTTP status and outcome.', ['endpoint', 'provider', 'model', 'status', 'outcome']);
    this.#attempts = new DeferredCounter(this.registry, 'switchboard_upstream_attempts_total', 'Calls made to providers.', ['provider', 'status', 'outcome']);
    this.#duration = new DeferredHistogram(this.registry, 'switchboard_request_duration_seconds', 'Time from request arrival to the end of the answer.', ['endpoint', 'provider'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]);
    this.#ttft = new DeferredHistogram(this.registry, 'switchboard_time_to_first_byte_seconds', 'Streamed answers: time from request arrival to the first byte of the provider\'s answer.', ['endpoint', 'provider'], [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
    this.#tokens = new DeferredCounter(this.registry, 'switchboard_tokens_total', 'Tokens billed by providers, by type (input, output, cached_input, cache_write).', ['provider', 'model', 'type']);
    this.#cost = new DeferredCounter(this.registry, 'switchboard_cost_usd_total', 'Cost in USD from the pricing table.', ['provider', 'model']);
    this.usageDropped = new Counter({ name: 'switchboard_usage_dropped_total', help: 'Usage and audit records dropped: the journal was full (policy drop), or with no journal the memory buffer was.', registers });
    this.usageWriteErrors = new Counter<'sink'>({ name: 'switchboard_usage_write_errors_total', help: 'Failed deliveries of record batches to a sink (they are retried).', labelNames: ['sink'], registers });
    this.#retries = new DeferredCounter(this.registry, 'switchboard_retries_total', 'Attempts after a request\'s first (retries of the same target and fallbacks), by the provider they went to.', ['provider']);
    this.#knownAgent = options.knownAgentType ?? firstNamesSeen(DEFAULT_KNOWN_NAMES);
    this.#routerRequests = new DeferredCounter(this.registry, 'model_router_requests_total', 'Seed 002: routed requests by model served, status (success or error) and agent type.', ['model', 'status', 'agent_type']);
    this.#routerDuration = new DeferredHistogram(this.registry, 'model_router_request_duration_seconds', 'Seed 002: time from request arrival to the end of the answer, by model served.', ['model'], [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60]);
    this.#ruleMatches = new DeferredCounter(this.registry, 'model_router_routing_rule_matches', 'Seed 002: requests a routing rule chose the model of, by rule id.', ['rule']);
    this.#overflowCounter([this.#requests, this.#attempts, this.#tokens, this.#cost, this.#retries, this.#routerRequests, this.#ruleMatches]);
  }

  dropped(count: number): void {
    this.usageDropped.inc(count);
  }

  writeFailed(sink: string): void {
    this.usageWriteErrors.inc({ sink });
  }

  /**
   * The usage pipeline's state, read at each scrape: per sink its backlog and the age of the oldest record it
   * lacks; the journal's size against its limit; whether requests are refused because it is full.
   */
  watchPipeline(stats: () => PipelineStats): void {
    const registers = [this.registry];
    new Gauge({
      name: 'switchboard_usage_queue_depth', help: 'Records the slowest sink does not have yet.', registers,
      collect() {
        this.set(Math.max(0, ...stats().sinks.map((s) => s.backlog)));
      },
    });
    new Gauge<'sink'>({
      name: 'switchboard_usage_backlog', help: 'Records a sink does not have yet (in memory or in the journal).', labelNames: ['sink'], registers,
      collect() {
        this.reset();
        for (const s of stats().sinks) this.set({ sink: s.name }, s.backlog);
      },
    });
    new Gauge<'sink'>({
      name: 'switchboard_usage_oldest_undelivered_seconds', help: 'Age of the oldest record a sink does not have yet; 0 when it has them all.', labelNames: ['sink'], registers,
      collect() {
        this.reset();
        for (const s of stats().sinks) this.set({ sink: s.name }, s.oldestUndeliveredSeconds);
      },
    });
    new Gauge({
      name: 'switchboard_usage_journal_bytes', help: 'Bytes the usage journal holds (on disk and waiting to be written).', registers,
      collect() {
        this.set(stats().journalBytes);
      },
    });
    new Gauge({
      name: 'switchboard_usage_journal_max_bytes', help: 'The usage journal\'s limit (usage.journal.maxBytes); 0 with no journal.', registers,
      collect() {
        this.set(stats().journalMaxBytes);
      },
    });
    new Gauge({
      name: 'switchboard_usage_journal_refusing', help: '1 while new requests are refused because the usage journal is full (policy refuse).', registers,
      collect() {
        this.set(stats().refusing ? 1 : 0);
      },
    });
  }

  /** A usage listener (see usage/usage-ledger.ts): counts each record as it is made. */
  readonly observe = (r: UsageRecord): void => {
    const provider = r.provider === null ? 'none' : this.#knownProvider(r.provider) ? r.provider : OTHER;
    const model = r.modelServed === null ? 'none' : this.#knownModel(r.modelServed) ? r.modelServed : OTHER;
    const status = STATUS_LABELS[r.status] ?? OTHER;
    if (r.kind === 'attempt') {
      this.#attempts.add([provider, status, r.outcome]);
      if (r.attempt > 1) this.#retries.add([provider]);
      this.#tokens.add([provider, model, 'input'], r.inputTokens);
      this.#tokens.add([provider, model, 'output'], r.outputTokens);
      if (r.cachedInputTokens > 0) this.#tokens.add([provider, model, 'cached_input'], r.cachedInputTokens);
      if (r.cacheWriteTokens > 0) this.#tokens.add([provider, model, 'cache_write'], r.cacheWriteTokens);
      if (r.costUsd > 0) this.#cost.add([provider, model], r.costUsd);
      return;
    }
    this.#requests.add([r.endpoint, provider, model, status, r.outcome]);
    this.#duration.observe([r.endpoint, provider], r.latencyMs / 1000);
    const agent = r.agentType === null ? 'none' : this.#knownAgent(r.agentType) ? r.agentType : OTHER;
    this.#routerRequests.add([model, r.outcome === 'ok' ? 'success' : 'error', agent]);
    this.#routerDuration.observe([model], r.latencyMs / 1000);
    // Rule ids come from configuration, so the series stay bounded by it.
    if (r.ruleId !== null) this.#ruleMatches.add([r.ruleId]);
    if (r.stream && r.ttftMs !== null) this.#ttft.observe([r.endpoint, provider], r.ttftMs / 1000);
  };

  /**
   * Endpoint health as metrics: the state gauges are read from the registry at each scrape (so a replica shows
   * transitions other replicas made too), transitions are counted by the replica that made them. Endpoint ids
   * come from configuration, so their number is bounded.
   */
  watchHealth(health: HealthView): () => void {
    const registers = [this.registry];
    new Gauge<'endpoint'>({
      name: 'switchboard_circuit_state', help: 'Circuit breaker state per endpoint: 0 closed, 1 half-open, 2 open.', labelNames: ['endpoint'], registers,
      collect() {
        this.reset();
        for (const e of health.list()) this.set({ endpoint: e.id }, BREAKER_VALUE[e.breaker]);
      },
    });
    new Gauge<'endpoint'>({
      name: 'switchboard_endpoint_available', help: 'Whether an endpoint takes traffic now (breaker, ejection and active probes): 1 yes, 0 no.', labelNames: ['endpoint'], registers,
      collect() {
        this.reset();
        for (const e of health.list()) this.set({ endpoint: e.id }, e.available ? 1 : 0);
      },
    });
    const transitions = new Counter<'endpoint' | 'kind' | 'to'>({
      name: 'switchboard_health_transitions_total', help: 'Health state changes made by this replica: breaker (closed, open, half_open), ejection (ejected, returned), probe (healthy, unhealthy).',
      labelNames: ['endpoint', 'kind', 'to'], registers,
    });
    return health.onTransition((t) => transitions.inc({ endpoint: t.id, kind: t.kind, to: t.to }));
  }

  /** model_router_model_health_score{model}: each registered model's health score (0..1), read at each scrape. */
  watchModelHealth(scores: () => ReadonlyArray<{ readonly model: string; readonly score: number }>): void {
    new Gauge<'model'>({
      name: 'model_router_model_health_score', help: 'Seed 002: health score per registered model, 0..1: the mean over its endpoints of (available ? 1 - error rate : 0).',
      labelNames: ['model'], registers: [this.registry],
      collect() {
        this.reset();
        for (const s of scores()) this.set({ model: s.model }, s.score);
      },
    });
  }

  /**
   * switchboard_metric_series_overflow_total{metric}: increments a DeferredCounter put in its overflow series.
   * Non-zero means a label value escaped the folding above; the counter's totals stay right, its detail not.
   */
  #overflowCounter(counters: readonly DeferredCounter<string>[]): void {
    new Counter<'metric'>({
      name: 'switchboard_metric_series_overflow_total', help: 'Increments counted in a metric\'s overflow series (all labels "other") because it reached its series limit.',
      labelNames: ['metric'], registers: [this.registry],
      collect() {
        // Each counter's figure only grows, so publishing it whole after a reset keeps counter semantics.
        this.reset();
        for (const c of counters) if (c.overflowed > 0) this.inc({ metric: c.name }, c.overflowed);
      },
    });
  }
}
