/**
 * Storage ports: the only storage interfaces features may depend on. Each port has one contract suite in
 * test/contract/ that every adapter (memory, SQLite, later PostgreSQL/Redis) runs.
 */
import type { ApiKeyRecord } from '../domain/api-key-record.ts';
import type { AuditEvent } from '../domain/audit-event.ts';
import type { Feedback, VariantStats } from '../domain/experiment-stats.ts';
import type { UsageKind, UsageRecord } from '../domain/usage-record.ts';

export type { ApiKeyRecord, KeyRole } from '../domain/api-key-record.ts';
export type { AuditEvent } from '../domain/audit-event.ts';
export type { Feedback, VariantStats } from '../domain/experiment-stats.ts';

export interface KeyStore {
  /** Fails if the id or prefix already exists. */
  insert(record: ApiKeyRecord): Promise<void>;
  get(id: string): Promise<ApiKeyRecord | undefined>;
  findByPrefix(prefix: string): Promise<ApiKeyRecord | undefined>;
  /** Newest first. */
  list(): Promise<ApiKeyRecord[]>;
  /** Marks the key revoked; false if no such key. Revoking twice keeps the first time. */
  revoke(id: string, at: string): Promise<boolean>;
  count(): Promise<number>;
  /**
   * Makes the key expire at `at` (a rotated key's overlap), or sooner if it already expires sooner; false if no such
   * key. Listeners are told as for a revocation, so caches on every replica read the key again.
   */
  expire(id: string, at: string): Promise<boolean>;
  /**
   * Records when keys were last used, in one batch. Only moves lastUsedAt forward (by time, not ISO text): an
   * older or equal time leaves the key as it is, so late or repeated batches are harmless. Unknown ids are
   * ignored. Fails, writing nothing, if any `at` is not an ISO-8601 time.
   */
  touch(entries: ReadonlyArray<KeyUse>): Promise<void>;
}

/** One use of a key, for KeyStore.touch. */
export interface KeyUse {
  readonly id: string;
  /** ISO-8601. */
  readonly at: string;
}

export interface UsageQuery {
  readonly requestId?: string;
  readonly keyId?: string;
  /** Records of this workspace only (a workspace key's view). */
  readonly workspaceId?: string;
  /** ISO-8601 lower bound on startedAt, inclusive. */
  readonly since?: string;
  /** Records of this kind only ("request": what callers got, one per request). */
  readonly kind?: UsageKind;
  /** At most this many records, newest first; default 100. */
  readonly limit?: number;
}

/** What the writer of a batch knows about it. */
export interface InsertOptions {
  /**
   * None of the batch's records was handed to this store before, not even in a delivery that failed: an adapter
   * may skip the look-ups it makes to keep a record delivered again once. Ids stay unique either way.
   */
  readonly firstDelivery?: boolean;
}

export interface UsageStore {
  /** Writes all records or none; a record whose id is stored already is left as it is (delivery is at least once). */
  insertMany(records: readonly UsageRecord[], options?: InsertOptions): Promise<void>;
  list(query: UsageQuery): Promise<UsageRecord[]>;
  /**
   * Per variant of one experiment, over its request records (kind "request"), optionally since an ISO time
   * (inclusive, compared as a time like UsageQuery.since). Sorted by variant name (code point order); records with
   * no variant are left out; no records → []. Rejects a since that is not a time.
   */
  variantStats(experimentId: string, since?: string): Promise<VariantStats[]>;
  /**
   * Stores (or replaces) the feedback score for one request of an experiment; idempotent per (experimentId,
   * requestId): the last write wins. The request need not be recorded yet. Rejects, storing nothing, a score that
   * is not a finite number or an `at` that is not an ISO-8601 time.
   */
  putFeedback(feedback: Feedback): Promise<void>;
}

/** How analytics group request records. */
export type UsageGroupBy = 'model' | 'key' | 'workspace' | 'day';

/**
 * The usage records an analytics query or an export reads: startedAt in [since, until) (ISO-8601, compared as
 * times), and every filter given. `model` is the model that served a request (modelServed), or the one asked for
 * (modelRequested) when no provider was reached: the same value analytics group by.
 */
export interface UsageRange {
  readonly since: string;
  readonly until: string;
  readonly workspaceId?: string;
  readonly keyId?: string;
  readonly model?: string;
}

/** Mean and nearest-rank percentiles (the value at rank ⌈p·n/100⌉ in ascending order) of times in ms; null over none. */
export interface TimeFigures {
  readonly mean: number | null;
  readonly p50: number | null;
  readonly p95: number | null;
}

/**
 * Figures over request records (kind "request", one per request): a request record carries what the caller got,
 * tokens and cost included (today only the attempt that answered carries usage, so it equals the sum of its
 * attempts' records; attempts are not counted again).
 */
export interface UsageFigures {
  readonly requests: number;
  /** Requests whose outcome is not "ok" (errors and client aborts). */
  readonly errors: number;
  /** errors / requests; 0 over no request. */
  readonly errorRate: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cachedInputTokens: number;
  readonly cacheWriteTokens: number;
  readonly costUsd: number;
  readonly latencyMs: TimeFigures;
  /** Over the requests that had a first byte (ttftMs not null). */
  readonly ttftMs: TimeFigures;
}

export interface UsageGroup extends UsageFigures {
  /** The model, key id, workspace id or UTC day ("2025-01-31"); null for records with no key or no workspace. */
  readonly key: string | null;
}

/** UsageAnalytics.scan's query: records of both kinds unless `kind` is given. */
export interface UsageScan extends UsageRange {
  readonly kind?: UsageKind;
  /** Records per page; default 500, 1 to 1000. */
  readonly pageSize?: number;
}

/** One run of the usage store's housekeeping (src/usage/usage-maintenance.ts schedules it). */
export interface UsageMaintenance {
  /** Epoch ms the run takes as now. */
  readonly now: number;
  /** Roll up the hours that ended (PostgreSQL; the embedded stores have no roll-ups). */
  readonly rollups: boolean;
  /** Delete what is older than the retention below (raw records never before their hour is rolled up, with rollups). */
  readonly retention: boolean;
  readonly rawDays: number;
  readonly rollupDays: number;
}

export interface UsageMaintenanceReport {
  /** False when another process was running it (PostgreSQL: an advisory lock), so this one did nothing. */
  readonly ran: boolean;
  readonly hoursRolledUp: number;
  readonly rawDeleted: number;
  readonly rollupsDeleted: number;
}

/**
 * Analytics over the usage records, computed in the store (SQL aggregation, never every record in memory).
 * Every adapter answers the same figures for the same records (test/contract/usage-store.contract.ts), except
 * that PostgreSQL answers percentiles from latency histograms (within 4.5 %) over hours it has rolled up.
 */
export interface UsageAnalytics {
  /** Figures over the request records in the range; zeros (and null times) over none. Rejects a since or until that is not a time. */
  summarize(range: UsageRange): Promise<UsageFigures>;
  /** The same figures per group, sorted by key (null first, then code point order; days chronologically). */
  breakdown(range: UsageRange, by: UsageGroupBy): Promise<UsageGroup[]>;
  /** The records in the range, oldest first (time ties: insertion order), in pages read one at a time. */
  scan(query: UsageScan): AsyncIterable<UsageRecord[]>;
  /** Retention, and roll-ups where the store has them; safe to run from several processes at once. */
  maintain(job: UsageMaintenance): Promise<UsageMaintenanceReport>;
}

/**
 * Which audit events AuditStore.list answers: every filter given must match. Bad input (a since, until or limit
 * that is not valid, an outcome that is not one, a before that names no event) is refused with
 * SB_INVALID_REQUEST naming the field, before the store is asked.
 */
export interface AuditQuery {
  readonly requestId?: string;
  /** Events of this workspace only (AuditEvent.workspaceId: a workspace key's view). */
  readonly workspaceId?: string;
  readonly actorKeyId?: string;
  /** Exact ("key.create"), or, ending in a dot, a prefix: "key." matches key.create, key.revoke, key.rotate. */
  readonly action?: string;
  readonly outcome?: AuditEvent['outcome'];
  readonly targetType?: string;
  readonly targetId?: string;
  /** ISO-8601 bounds on `at`, compared as times: since inclusive, until exclusive. */
  readonly since?: string;
  readonly until?: string;
  /** At most this many, newest first (time ties: the later insert first); 1 to 1000, default 100. */
  readonly limit?: number;
  /** Paging: only events after this event id in the answer's order (older ones); the last id of one page gets the next. */
  readonly before?: string;
}

/** Audit events, written once and never changed. */
export interface AuditStore {
  /**
   * Writes the events; one whose id is stored already (or repeated in the batch) is left as it is, since delivery
   * is at least once. Writes nothing, rejecting, when an event's `at` is not an ISO-8601 time or its before or
   * after is not JSON. before and after read back as their JSON does (undefined as null).
   */
  insertMany(events: readonly AuditEvent[]): Promise<void>;
  list(query: AuditQuery): Promise<AuditEvent[]>;
  /**
   * Retention: deletes the events that happened before `cutoffMs` (epoch ms), in bounded batches that never hold
   * a long lock (the event loop served between them on SQLite); resolves with how many went.
   */
  deleteBefore(cutoffMs: number): Promise<number>;
}

/** A JSON object as the config store keeps it: the store never looks inside. */
export type JsonObject = { readonly [key: string]: unknown };

/** What the version list shows of a configuration version. */
export interface ConfigVersionSummary {
  /** 1, 2, 3 … in the order they were made; never reused. */
  readonly version: number;
  /** Who made it: a key id, or "file", "etcd", "import", "bootstrap". */
  readonly author: string;
  /** ISO-8601. */
  readonly createdAt: string;
  /** One line: what kind of change it was ("admin write", "file edit", "rollback to 3"…). */
  readonly summary: string;
}

/** A stored configuration version. Its content never holds a secret in clear (config/ writes references). */
export interface ConfigVersionRecord extends ConfigVersionSummary {
  readonly content: JsonObject;
  /** Before/after entries as config/ computes them, kept as given. */
  readonly diff: readonly JsonObject[];
}

export type NewConfigVersion = Omit<ConfigVersionRecord, 'version'>;

/** Thrown by ConfigStore.append when another writer got there first; re-read the head and apply the change again. */
export class ConfigVersionConflict extends Error {
  readonly head: number;
  constructor(expected: number, head: number) {
    super(`configuration version ${expected} is no longer the newest (the newest is ${head})`);
    this.name = 'ConfigVersionConflict';
    this.head = head;
  }
}

export interface ConfigVersionQuery {
  /** At most this many, newest first; default 50. */
  readonly limit?: number;
  /** Only versions older than this one (paging). */
  readonly before?: number;
}

/** The numbered history of the shared configuration, appended to with optimistic concurrency. */
export interface ConfigStore {
  /** The newest version's number; 0 while none was written. Cheap: replicas poll it. */
  latestVersion(): Promise<number>;
  get(version: number): Promise<ConfigVersionRecord | undefined>;
  list(query: ConfigVersionQuery): Promise<ConfigVersionSummary[]>;
  /**
   * Writes `entry` as version expectedLatest + 1, or throws ConfigVersionConflict (writing nothing) when the newest
   * version is no longer expectedLatest; two writers never get the same number.
   */
  append(entry: NewConfigVersion, expectedLatest: number): Promise<ConfigVersionRecord>;
}

/** A stored Responses API response: one turn of a conversation. */
export interface StoredResponse {
  /** The response id, "resp_…" (the gateway's own, or an OpenAI upstream's when it answered). */
  readonly id: string;
  /** The key that created it; null for a caller without a key record (e.g. a JWT principal). */
  readonly keyId: string | null;
  /** The workspace it belongs to; null outside workspaces. */
  readonly workspaceId: string | null;
  /** The earlier response this one continued; null for the first turn. */
  readonly previousResponseId: string | null;
  /** The model the caller asked for. */
  readonly model: string;
  /** This turn's input items only (the `input` of its request, a string input as one user message item), JSON values. */
  readonly input: readonly unknown[];
  /** The Response object as answered (JSON object; its `output` holds the output items). */
  readonly response: Readonly<Record<string, unknown>>;
  /** 'gateway': made by the gateway (a translated call); 'upstream': an OpenAI upstream made and stores it too. */
  readonly origin: 'gateway' | 'upstream';
  readonly createdAtMs: number;
  /** When retention deletes it (epoch ms). */
  readonly expiresAtMs: number;
}

/**
 * Whose responses a caller may see: its workspace's when it has one, else its key's (src/storage/response-visible.ts
 * is the rule). A caller with neither sees none.
 */
export interface ResponseScope {
  readonly keyId: string | null;
  readonly workspaceId: string | null;
}

/**
 * The responses kept for `previous_response_id` and GET / DELETE /v1/responses/{id}. input and response read back
 * as their JSON does (each read its own copy). Bad arguments (a value JSON cannot hold, a text with U+0000, a time
 * or maxTurns that is not a whole number) reject with TypeError or RangeError before anything is written; any other
 * rejection means the store could not be used (SQLite: locked by another process, failing at once; PostgreSQL:
 * unreachable or timed out).
 */
export interface ResponseStore {
  /** Stores (or replaces, same id) one response. Replacing does not check the old owner: ids are minted unique. */
  put(response: StoredResponse): Promise<void>;
  /** The response, when it exists, has not expired (expiresAtMs > nowMs) and is visible to `scope`; else undefined. */
  get(id: string, scope: ResponseScope, nowMs: number): Promise<StoredResponse | undefined>;
  /**
   * The conversation ending at `id`, oldest first (id last), following previousResponseId back at most `maxTurns`
   * responses (a whole number ≥ 1); undefined when `id` itself is not visible. The walk stops at a response that is
   * missing, expired or not visible to the scope (a conversation never crosses tenants), and at one it has already
   * taken (a cycle, which only replacing can make).
   */
  conversation(id: string, scope: ResponseScope, nowMs: number, maxTurns: number): Promise<StoredResponse[] | undefined>;
  /** Deletes it when visible to `scope` (expired or not: an expired one is only not deleted yet); whether it did. */
  delete(id: string, scope: ResponseScope): Promise<boolean>;
  /** Retention: deletes every response with expiresAtMs <= nowMs, in bounded batches; how many. */
  deleteExpired(nowMs: number): Promise<number>;
}

/** A change another holder of the same store may have to act on (a revoked key, a new configuration version). */
export type StorageChange =
  | { readonly kind: 'config'; readonly version: number }
  | { readonly kind: 'key'; readonly id: string };

export interface Storage {
  readonly keys: KeyStore;
  readonly usage: UsageStore & UsageAnalytics;
  readonly config: ConfigStore;
  readonly audit: AuditStore;
  readonly responses: ResponseStore;
  /**
   * Calls the listener for every key revocation and configuration version written through this store by any
   * process sharing it, this one included, as soon as the store can tell (PostgreSQL: LISTEN/NOTIFY; the
   * embedded stores: this process's own writes only, other processes are found by polling). Best effort: a
   * listener must still poll as a backstop. Returns the unsubscribe function.
   */
  subscribe(listener: (change: StorageChange) => void): () => void;
  /** Applies schema migrations; idempotent. */
  migrate(): Promise<void>;
  /** Cheap liveness probe for /health/detailed. */
  ping(): Promise<void>;
  close(): Promise<void>;
}
