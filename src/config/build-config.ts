import { ConfigError, type ConfigIssue } from './config-error.ts';
import { sharedPart } from './config-sections.ts';
import { deepFreeze } from './deep-freeze.ts';
import { applyEnvOverrides, providersFromEnv, withDefaultMock } from './env-overrides.ts';
import { mergeLayers, type Tree } from './merge-patch.ts';
import { configSchema, type Config } from './schema.ts';
import { resolveSecret, isSecretRef } from './secret-ref.ts';

type Env = Readonly<Record<string, string | undefined>>;

/** The shared layers a configuration version stores; each holds shared sections only (config-sections.ts). */
export interface ConfigLayers {
  /** The configuration file's shared sections, as the last process to read the file found them. */
  readonly file: Tree;
  /** What the admin API and imports set. */
  readonly admin: Tree;
  /** What etcd holds under the prefix. */
  readonly etcd: Tree;
}

export const EMPTY_LAYERS: ConfigLayers = Object.freeze({ file: {}, admin: {}, etcd: {} });

export interface BuildInput {
  /** This process's own settings from its file: everything but the shared sections (see processPart). */
  readonly process: Tree;
  readonly layers: ConfigLayers;
  readonly env: Env;
  /** Named in errors: a file path, "admin API", "etcd", "version 12". */
  readonly source: string;
  /** Whether references to secrets must be readable here; `config validate` checks a file away from its secrets. */
  readonly checkSecrets?: boolean;
}

/**
 * The one way a configuration is made, whatever changed: built-in defaults < the file < environment variables <
 * the admin API's changes < etcd, combined by JSON Merge Patch (merge-patch.ts), then validated whole by the
 * schema, its references and secrets checked, and deep-frozen. Throws ConfigError listing every problem.
 */
export function buildConfig(input: BuildInput): Config {
  const raw = mergeLayers([processPart(input.process), sharedPart(input.layers.file)]);
  const fromEnv = applyEnvOverrides(raw, input.env);
  const merged = mergeLayers([raw, sharedPart(input.layers.admin), sharedPart(input.layers.etcd)]);
  // A "providers" that is not a list is left as it is, so validation reports it instead of it being replaced.
  if (merged.providers === undefined || Array.isArray(merged.providers)) {
    const providers = Array.isArray(merged.providers) ? merged.providers as unknown[] : [];
    const named = new Set(providers.map((p) => (p !== null && typeof p === 'object' ? String((p as Tree).name) : '')));
    merged.providers = withDefaultMock([...providers, ...providersFromEnv(input.env, named)]);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const envName = fromEnv.get(path);
      return { path, message: envName === undefined ? issue.message : `${issue.message} (from ${envName})` };
    });
    throw new ConfigError(input.source, issues);
  }
  const missing = input.checkSecrets === false ? [] : missingSecrets(result.data, input.env);
  if (missing.length > 0) throw new ConfigError(input.source, missing);
  return deepFreeze(result.data);
}

/** A tree without its shared sections: what only this process's file and environment may set. */
export function processPart(tree: Tree): Tree {
  const rest: Tree = {};
  sharedPart(tree, rest);
  return rest;
}

/** A file's tree as build input: its own settings, and its shared sections as the file layer. */
export function fileInput(file: Tree): { process: Tree; layers: ConfigLayers } {
  return { process: processPart(file), layers: { file: sharedPart(file), admin: {}, etcd: {} } };
}

/** References to secrets this process cannot read: refused like any other error, before anything is applied. */
function missingSecrets(config: Config, env: Env): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  config.providers.forEach((p, i) => {
    if (p.apiKey !== undefined && resolveSecret(p.apiKey, env) === undefined) {
      issues.push({ path: `providers.${i}.apiKey`, message: `the secret ${p.apiKey} cannot be read (${p.apiKey.startsWith('env:') ? 'variable not set' : 'file missing or empty'})` });
    }
    for (const [name, value] of Object.entries(p.headers)) {
      if (isSecretRef(value) && resolveSecret(value, env) === undefined) {
        issues.push({ path: `providers.${i}.headers.${name}`, message: `the secret ${value} cannot be read` });
      }
    }
  });
  return issues;
}
