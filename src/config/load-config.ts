import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { buildConfig, fileInput } from './build-config.ts';
import { ConfigError } from './config-error.ts';
import type { Tree } from './merge-patch.ts';
import type { Config } from './schema.ts';

type Env = Readonly<Record<string, string | undefined>>;

export interface LoadOptions {
  /** Path of a YAML or JSON file; none means defaults plus environment. */
  readonly file?: string | undefined;
  /** A configuration tree given directly (tests, embedding); used when no file is named. */
  readonly raw?: Record<string, unknown>;
  readonly env?: Env;
}

/** Where a process's configuration starts: its file (or a tree given directly) and its environment. */
export interface ConfigSources {
  readonly file: Tree;
  /** The file it was read from, watched for edits; undefined for a tree given directly. */
  readonly path: string | undefined;
  readonly env: Env;
}

export function readConfigSources(options: LoadOptions = {}): ConfigSources {
  const file = options.file === undefined ? structuredClone(options.raw ?? {}) : readConfigFile(options.file);
  return { file, path: options.file, env: options.env ?? process.env };
}

/** Reads, merges (file < environment), validates and freezes the configuration of a file alone. Throws ConfigError. */
export function loadConfig(options: LoadOptions = {}): Config {
  const sources = readConfigSources(options);
  return buildConfig({ ...fileInput(sources.file), env: sources.env, source: options.file ?? 'defaults and environment' });
}

/**
 * Parses and validates a file alone: without the process's environment, the providers it would add, or the secrets
 * it references (those are checked where they live, at start-up and at every change).
 */
export function validateConfigFile(file: string): Config {
  return buildConfig({ ...fileInput(readConfigFile(file)), env: {}, source: file, checkSecrets: false });
}

/** The file's settings as a tree; ConfigError when it cannot be read or parsed, or is not a mapping. */
export function readConfigFile(file: string): Tree {
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
  return parsed as Tree;
}
