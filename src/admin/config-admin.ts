import type { ApplyResult, ChangeMeta, VersionedConfig } from '../config/versioned-config.ts';
import { ConfigError, type ConfigIssue } from '../config/config-error.ts';
import { isSharedSection, sharedPart, SHARED_SECTIONS, type SharedSection } from '../config/config-sections.ts';
import { isTree, mergeLayers, mergePatch, patchTo, type Tree } from '../config/merge-patch.ts';
import { GatewayError } from '../errors/gateway-error.ts';

/** Seed 002's export names the workspace section workspaceConfigs; both are accepted on import. */
const SECTION_ALIASES: Readonly<Record<string, string>> = { workspaceConfigs: 'workspaces' };

export interface ConfigExport {
  readonly version: number;
  readonly exportedAt: string;
  readonly config: Tree;
}

/**
 * The configuration use cases behind the admin API and the CLI: change, import, export and roll back. Each one is a
 * LayerEdit on the admin layer handed to VersionedConfig, which validates the result whole before it is stored.
 */
export class ConfigAdmin {
  readonly #config: VersionedConfig;

  constructor(config: VersionedConfig) {
    this.#config = config;
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
  async patch(patch: unknown, author: string, dryRun = false): Promise<ApplyResult> {
    const sections = sectionsOf(patch, 'admin API');
    return this.#config.apply((layers) => ({ ...layers, admin: mergePatch(layers.admin, sections) as Tree }), { author, summary: 'admin change' }, { dryRun });
  }

  /**
   * Seed 002's import: each section given replaces that section whole (a setting the file has and the import
   * lacks is removed), so export → import gives back the same configuration. Sections not given stay as they are.
   */
  async import(config: unknown, author: string, dryRun = false): Promise<ApplyResult> {
    const sections = sectionsOf(config, 'import');
    return this.#config.apply((layers) => {
      const admin: Tree = { ...layers.admin };
      for (const [name, value] of Object.entries(sections)) admin[name] = patchTo(layers.file[name], value);
      return { ...layers, admin };
    }, { author, summary: 'import' }, { dryRun });
  }

  /**
   * Changes one shared section as the configuration has it now (file, admin and etcd layers merged): `edit` gets
   * a copy of the section (undefined when unset) and returns its new value, or throws a GatewayError (404 for an
   * unknown id, 409 for a state that does not allow the change) to apply nothing. The result is written to the
   * admin layer so that it replaces the section whole, then validated with everything else. On a concurrent
   * change elsewhere, `edit` runs again on the newer version.
   */
  async editSection(section: SharedSection, edit: (current: unknown) => unknown, meta: ChangeMeta, dryRun = false): Promise<ApplyResult> {
    return this.#config.apply((layers) => {
      const merged = mergeLayers([layers.file, layers.admin, layers.etcd]);
      const next = edit(structuredClone(merged[section]));
      return { ...layers, admin: { ...layers.admin, [section]: patchTo(layers.file[section], next) } };
    }, meta, { dryRun });
  }

  /**
   * editSection for several sections changed together in one version (an experiment promoted and the rule that
   * makes its winner permanent): `edit` gets a copy of each and returns the new value of each.
   */
  async editSections<S extends SharedSection>(sections: readonly S[], edit: (current: Record<S, unknown>) => Record<S, unknown>, meta: ChangeMeta, dryRun = false): Promise<ApplyResult> {
    return this.#config.apply((layers) => {
      const merged = mergeLayers([layers.file, layers.admin, layers.etcd]);
      const current = Object.fromEntries(sections.map((s) => [s, structuredClone(merged[s])])) as Record<S, unknown>;
      const next = edit(current);
      const admin: Tree = { ...layers.admin };
      for (const s of sections) admin[s] = patchTo(layers.file[s], next[s]);
      return { ...layers, admin };
    }, meta, { dryRun });
  }

  /** Makes what the admin API and imports had set at `version` current again, as a new version. */
  async rollback(version: number, author: string): Promise<ApplyResult> {
    const record = await this.#config.version(version);
    const admin = isTree(record.content.admin) ? record.content.admin : {};
    return this.#config.apply((layers) => ({ ...layers, admin }), { author, summary: `rollback to ${version}` });
  }
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
