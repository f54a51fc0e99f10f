import { auditEventOf, authorName, type ChangeAuthor } from '../audit/audit-event-of.ts';
import { NO_AUDIT, type AuditLog } from '../audit/audit-log.ts';
import type { ConfigChange } from '../config/config-diff.ts';
import type { ApplyResult, LayerEdit, VersionedConfig } from '../config/versioned-config.ts';
import { ConfigError, type ConfigIssue } from '../config/config-error.ts';
import { isSharedSection, sharedPart, SHARED_SECTIONS, type SharedSection } from '../config/config-sections.ts';
import { isTree, mergeLayers, mergePatch, patchTo, type Tree } from '../config/merge-patch.ts';
import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';

/** Seed 002's export names the workspace section workspaceConfigs; both are accepted on import. */
const SECTION_ALIASES: Readonly<Record<string, string>> = { workspaceConfigs: 'workspaces' };

export interface ConfigExport {
  readonly version: number;
  readonly exportedAt: string;
  readonly config: Tree;
}

/** What one admin change did to one thing, for its audit event (docs/record-schema.md lists the actions). */
export interface ChangeSubject {
  readonly action: string;
  readonly targetType: string;
  /** Left out: the number of the version the change made (the config.* actions). */
  readonly targetId?: string | null;
  /** The workspace the thing belongs to; left out: none (what every workspace shares). */
  readonly workspaceId?: string | null;
  /**
   * The thing in a validated configuration, for the event's before (as this process served it just before) and
   * after; left out: the version's changed settings instead. Secrets are references there, never their values.
   */
  readonly pick?: (config: Config) => unknown;
}

/** An admin change: who makes it, one line for the version history, and what it changes for the audit trail. */
export interface AdminChange {
  readonly author: ChangeAuthor;
  readonly summary: string;
  /** One audit event per subject (a batch of model statuses names each model). */
  readonly audit: ChangeSubject | readonly ChangeSubject[];
}

/**
 * The configuration use cases behind the admin API and the CLI: change, import, export and roll back. Each one is a
 * LayerEdit on the admin layer handed to VersionedConfig, which validates the result whole before it is stored.
 */
export class ConfigAdmin {
  readonly #config: VersionedConfig;
  readonly #audit: AuditLog;

  /** Every change applied is recorded in `audit` (dry runs and changes that change nothing are not). */
  constructor(config: VersionedConfig, audit: AuditLog = NO_AUDIT) {
    this.#config = config;
    this.#audit = audit;
  }

  /** The configuration version requests run on now. */
  current(): ReturnType<VersionedConfig['current']> {
    return this.#config.current();
  }

  /** The effective shared configuration, as import takes it back. Secrets appear only as their references. */
  export(): ConfigExport {
    const { version, config } = this.#config.current();
    return { version, exportedAt: new Date().toISOString(), config: sharedPart(config) };
  }

  /** A JSON Merge Patch over the shared sections (null removes a setting the admin API set). */
  async patch(patch: unknown, author: ChangeAuthor, dryRun = false): Promise<ApplyResult> {
    const sections = sectionsOf(patch, 'admin API');
    return this.#apply((layers) => ({ ...layers, admin: mergePatch(layers.admin, sections) as Tree }), { author, summary: 'admin change', audit: CONFIG_CHANGE }, dryRun);
  }

  /**
   * Seed 002's import: each section given replaces that section whole (a setting the file has and the import
   * lacks is removed), so export → import gives back the same configuration. Sections not given stay as they are.
   */
  async import(config: unknown, author: ChangeAuthor, dryRun = false): Promise<ApplyResult> {
    const sections = sectionsOf(config, 'import');
    return this.#apply((layers) => {
      const admin: Tree = { ...layers.admin };
      for (const [name, value] of Object.entries(sections)) admin[name] = patchTo(layers.file[name], value);
      return { ...layers, admin };
    }, { author, summary: 'import', audit: CONFIG_IMPORT }, dryRun);
  }

  /**
   * Changes one shared section as the configuration has it now (file, admin and etcd layers merged): `edit` gets
   * a copy of the section (undefined when unset) and returns its new value, or throws a GatewayError (404 for an
   * unknown id, 409 for a state that does not allow the change) to apply nothing. The result is written to the
   * admin layer so that it replaces the section whole, then validated with everything else. On a concurrent
   * change elsewhere, `edit` runs again on the newer version.
   */
  async editSection(section: SharedSection, edit: (current: unknown) => unknown, change: AdminChange, dryRun = false): Promise<ApplyResult> {
    return this.#apply((layers) => {
      const merged = mergeLayers([layers.file, layers.admin, layers.etcd]);
      const next = edit(structuredClone(merged[section]));
      return { ...layers, admin: { ...layers.admin, [section]: patchTo(layers.file[section], next) } };
    }, change, dryRun);
  }

  /**
   * editSection for several sections changed together in one version (an experiment promoted and the rule that
   * makes its winner permanent): `edit` gets a copy of each and returns the new value of each.
   */
  async editSections<S extends SharedSection>(sections: readonly S[], edit: (current: Record<S, unknown>) => Record<S, unknown>, change: AdminChange, dryRun = false): Promise<ApplyResult> {
    return this.#apply((layers) => {
      const merged = mergeLayers([layers.file, layers.admin, layers.etcd]);
      const current = Object.fromEntries(sections.map((s) => [s, structuredClone(merged[s])])) as Record<S, unknown>;
      const next = edit(current);
      const admin: Tree = { ...layers.admin };
      for (const s of sections) admin[s] = patchTo(layers.file[s], next[s]);
      return { ...layers, admin };
    }, change, dryRun);
  }

  /** Makes what the admin API and imports had set at `version` current again, as a new version. */
  async rollback(version: number, author: ChangeAuthor): Promise<ApplyResult> {
    const record = await this.#config.version(version);
    const admin = isTree(record.content.admin) ? record.content.admin : {};
    return this.#apply((layers) => ({ ...layers, admin }), { author, summary: `rollback to ${version}`, audit: CONFIG_ROLLBACK }, false);
  }

  /** Applies one change and, when a version was made, records an audit event for each of its subjects. */
  async #apply(edit: LayerEdit, change: AdminChange, dryRun: boolean): Promise<ApplyResult> {
    const before = this.#config.current().config;
    const result = await this.#config.apply(edit, { author: authorName(change.author), summary: change.summary }, { dryRun });
    if (result.applied) this.#record(change, before, result);
    return result;
  }

  #record(change: AdminChange, before: Config, result: ApplyResult): void {
    const after = this.#config.current().config;
    const now = new Date();
    for (const subject of ([] as ChangeSubject[]).concat(change.audit)) {
      const { pick } = subject;
      this.#audit.record(auditEventOf(change.author, {
        action: subject.action, workspaceId: subject.workspaceId ?? null, targetType: subject.targetType,
        targetId: subject.targetId === undefined ? String(result.version) : subject.targetId,
        before: pick === undefined ? changedSettings(result.changes, 'before') : pick(before),
        after: pick === undefined ? changedSettings(result.changes, 'after') : pick(after),
      }, now));
    }
  }
}

const CONFIG_CHANGE: ChangeSubject = { action: 'config.change', targetType: 'config' };
const CONFIG_IMPORT: ChangeSubject = { action: 'config.import', targetType: 'config' };
const CONFIG_ROLLBACK: ChangeSubject = { action: 'config.rollback', targetType: 'config' };

/**
 * One side of a version's diff as { "dotted.path": value }: before, the settings as they were (a setting added
 * has no entry); after, as they are (a setting removed has none). Secrets appear as their references.
 */
function changedSettings(changes: readonly ConfigChange[], side: 'before' | 'after'): Record<string, unknown> {
  return Object.fromEntries(changes.filter((c) => Object.hasOwn(c, side)).map((c) => [c.path, c[side]]));
}

/** The shared sections of a body, or ConfigError naming every key that is not one. */
function sectionsOf(body: unknown, source: string): Tree {
  if (!isTree(body)) throw new ConfigError(source, [{ path: '', message: 'expected an object of configuration sections' }]);
  const issues: ConfigIssue[] = [];
  const out: Tree = {};
  for (const [key, value] of Object.entries(body)) {
    const name = SECTION_ALIASES[key] ?? key;
    if (isSharedSection(name)) out[name] = value;
    else issues.push({ path: key, message: `not a shared section (${SHARED_SECTIONS.join(', ')}); process settings come from each process's file and environment` });
  }
  if (issues.length > 0) throw new ConfigError(source, issues);
  return out;
}

/** ConfigError → SB_CONFIG_INVALID with every issue; anything else unchanged. */
export function asConfigGatewayError(err: unknown): unknown {
  if (!(err instanceof ConfigError)) return err;
  return new GatewayError('SB_CONFIG_INVALID', { issues: err.issues, ...(err.issues[0] ? { param: err.issues[0].path } : {}), message: `The configuration change was refused, nothing was applied: ${err.issues.length} problem(s); see "issues".` });
}
