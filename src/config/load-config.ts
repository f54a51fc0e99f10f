import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError, type ConfigIssue } from './config-error.ts';
import { deepFreeze } from './deep-freeze.ts';
import { applyEnvOverrides, providersFromEnv, withDefaultMock } from './env-overrides.ts';
import { configSchema, type Config } from './schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadOptions {
  /** Path of a YAML or JSON file; none means defaults plus environment. */
  readonly file?: string | undefined;
  /** A configuration tree given directly (tests, embedding); used when no file is named. */
  readonly raw?: Record<string, unknown>;
  readonly env?: Env;
}

/** Reads, merges (file < environment), validates and freezes the configuration. Throws ConfigError. */
export function loadConfig(options: LoadOptions = {}): Config {
  const env = options.env ?? process.env;
  const raw = options.file === undefined ? structuredClone(options.raw ?? {}) : readConfigFile(options.file);
  const fromEnv = applyEnvOverrides(raw, env);
  // A "providers" that is not a list is left as it is, so validation reports it instead of it being replaced.
  if (raw.providers === undefined || raw.providers === null || Array.isArray(raw.providers)) {
    const providers = Array.isArray(raw.providers) ? raw.providers as unknown[] : [];
    const named = new Set(providers.map((p) => (p !== null && typeof p === 'object' ? String((p as Record<string, unknown>).name) : '')));
    raw.providers = withDefaultMock([...providers, ...providersFromEnv(env, named)]);
  }
  return validate(raw, options.file ?? 'defaults and environment', fromEnv);
}

/** Parses and validates a file only, without environment or auto-configured providers. */
export function validateConfigFile(file: string): Config {
  const raw = readConfigFile(file);
  if (raw.providers === undefined || Array.isArray(raw.providers)) raw.providers = withDefaultMock((raw.providers ?? []) as unknown[]);
  return validate(raw, file, new Map());
}

function validate(raw: Record<string, unknown>, source: string, fromEnv: ReadonlyMap<string, string>): Config {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issues: ConfigIssue[] = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      const envName = fromEnv.get(path);
      return { path, message: envName === undefined ? issue.message : `${issue.message} (from ${envName})` };
    });
    throw new ConfigError(source, issues);
  }
  return deepFreeze(result.data);
}

function readConfigFile(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `cannot read file: ${(err as NodeJS.ErrnoException).code ?? String(err)}` }]);
  }
  let parsed: unknown;
  try {
    parsed = extname(file) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(file, [{ path: '', message: `not valid ${extname(file) === '.json' ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}` }]);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(file, [{ path: '', message: 'the top level must be a mapping of settings' }]);
  }
  return parsed as Record<string, unknown>;
}
