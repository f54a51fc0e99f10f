import pino from 'pino';
import { asConfigGatewayError, ConfigAdmin } from '../admin/config-admin.ts';
import { KeyAdmin } from '../auth/key-admin.ts';
import { ConfigError } from '../config/config-error.ts';
import { loadConfig, readConfigFile, readConfigSources, validateConfigFile, type ConfigSources } from '../config/load-config.ts';
import { isTree } from '../config/merge-patch.ts';
import type { Config } from '../config/schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { KEY_ROLE_INPUTS, keyRoleOf } from '../domain/api-key-record.ts';

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

type Flags = Readonly<Record<string, string | boolean | undefined>>;
type Env = Readonly<Record<string, string | undefined>>;

export const USAGE = `usage: switchboard <command>

  serve [--config FILE]              start the gateway (the default command)
  config validate FILE               check a configuration file without starting
  config export                      print the current configuration version as JSON (secrets as references)
  config import FILE [--dry-run]     apply a JSON or YAML file of sections ({ "config": {…} } or the sections)
  config versions [--limit N] [--json]  list the stored versions, newest first
  config rollback N                  make version N's admin changes current again, as a new version
  keys create --name NAME [--role admin|operator|member|viewer] [--workspace ID] [--models m1,m2] [--json]
  keys list [--json]
  keys revoke ID_OR_PREFIX
  migrate                            create or update the database schema

The configuration file also comes from SWITCHBOARD_CONFIG; environment variables override it. The config,
keys and migrate commands work on the store the gateway uses: DATABASE_URL when set, else SQLite under dataDir.
See docs/configuration.md.`;

/** Runs one CLI command; returns the process exit code. `env` stands in for process.env (tests pass their own). */
export async function runCli(args: readonly string[], flags: Flags, io: CliIo, env: Env = process.env): Promise<number> {
  const [command = 'serve', sub, arg] = args;
  if (flags.help === true || command === 'help') return print(io, USAGE, 0);
  try {
    if (command === 'serve') return await serveCommand(flags, io, env);
    if (command === 'config' && sub === 'validate' && arg !== undefined) return validateCommand(arg, io);
    if (command === 'config' && isConfigCommand(sub, arg)) return await configCommand(sub, arg, flags, io, env);
    if (command === 'keys' && sub !== undefined) return await keysCommand(sub, arg, flags, io, env);
    if (command === 'migrate') return await withStorage(flags, env, async () => { io.out('database schema is up to date'); });
    io.err(USAGE);
    return 2;
  } catch (err) {
    if (err instanceof ConfigError || err instanceof GatewayError) return print(io, err.message, 1, true);
    throw err;
  }
}

function sourcesFrom(flags: Flags, env: Env): ConfigSources {
  const file = typeof flags.config === 'string' ? flags.config : env.SWITCHBOARD_CONFIG || undefined;
  return readConfigSources({ file, env });
}

function configFrom(flags: Flags, env: Env): Config {
  const file = typeof flags.config === 'string' ? flags.config : env.SWITCHBOARD_CONFIG || undefined;
  return loadConfig({ file, env });
}

async function serveCommand(flags: Flags, io: CliIo, env: Env): Promise<number> {
  // Loaded here so that `config validate` and `keys` do not load the whole gateway.
  const { composeGateway, ensureBootstrapKey, serve } = await import('../main.ts');
  const gateway = await composeGateway({ sources: sourcesFrom(flags, env) });
  await ensureBootstrapKey(gateway.deps, io.out);
  await serve(gateway);
  const { server } = gateway.deps.config;
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : server.port;
  io.out(`Switchboard ${gateway.deps.version} listening on http://${server.host}:${port} (metrics: ${server.metricsPort === 0 ? 'off' : server.metricsPort}); providers: ${[...gateway.deps.routing.current.providers.keys()].join(', ')}`);
  return 0;
}

function validateCommand(file: string, io: CliIo): number {
  const config = validateConfigFile(file);
  return print(io, `${file}: valid (${config.providers.length} providers, ${config.models.length} models)`, 0);
}

function isConfigCommand(sub: string | undefined, arg: string | undefined): sub is string {
  return sub === 'export' || sub === 'versions' || (sub === 'import' && arg !== undefined) || (sub === 'rollback' && arg !== undefined && /^\d+$/.test(arg));
}

async function configCommand(sub: string, arg: string | undefined, flags: Flags, io: CliIo, env: Env): Promise<number> {
  const config = configFrom(flags, env);
  const { openStorage, openVersionedConfig } = await import('../main.ts');
  const storage = openStorage(config);
  const logger = pino({ level: 'silent' });
  try {
    await storage.migrate();
    const versions = await openVersionedConfig(sourcesFrom(flags, env), config, storage, logger, { follow: false });
    const admin = new ConfigAdmin(versions);
    try {
      if (sub === 'export') {
        io.out(JSON.stringify(admin.export(), null, 2));
      } else if (sub === 'import' && arg !== undefined) {
        const tree = readConfigFile(arg);
        const sections = isTree(tree.config) ? tree.config : tree;
        const result = await admin.import(sections, 'cli', flags['dry-run'] === true);
        io.out(JSON.stringify({ version: result.version, applied: result.applied, dry_run: flags['dry-run'] === true, changes: result.changes }, null, 2));
      } else if (sub === 'versions') {
        const limit = typeof flags.limit === 'string' ? Number(flags.limit) : 50;
        const list = await versions.versions({ limit: Number.isInteger(limit) && limit > 0 ? limit : 50 });
        io.out(flags.json === true ? JSON.stringify(list) : list.map((v) => `${String(v.version).padStart(5)}  ${v.createdAt}  ${v.author.padEnd(12)}  ${v.summary}`).join('\n') || 'no versions');
      } else {
        const result = await admin.rollback(Number(arg), 'cli');
        io.out(`version ${result.version} is current (${result.changes.length} settings changed)`);
      }
      return 0;
    } finally {
      await versions.close();
    }
  } catch (err) {
    const converted = asConfigGatewayError(err);
    if (converted instanceof GatewayError && converted.issues !== undefined) {
      return print(io, `${converted.message}\n${converted.issues.map((i) => `  - ${i.path || '(root)'}: ${i.message}`).join('\n')}`, 1, true);
    }
    throw converted;
  } finally {
    await storage.close();
  }
}

async function keysCommand(sub: string, arg: string | undefined, flags: Flags, io: CliIo, env: Env): Promise<number> {
  return withStorage(flags, env, async (keys) => {
    if (sub === 'create') {
      const given = typeof flags.role === 'string' ? flags.role : 'member';
      if (!(KEY_ROLE_INPUTS as readonly string[]).includes(given)) throw new GatewayError('SB_INVALID_REQUEST', { param: 'role', message: `--role must be one of ${KEY_ROLE_INPUTS.join(', ')}` });
      const role = keyRoleOf(given as typeof KEY_ROLE_INPUTS[number]);
      const models = typeof flags.models === 'string' ? flags.models.split(',').map((m) => m.trim()).filter(Boolean) : null;
      const workspaceId = typeof flags.workspace === 'string' ? flags.workspace : undefined;
      const created = await keys.create({ name: typeof flags.name === 'string' ? flags.name : 'cli', role, models, workspaceId });
      io.out(flags.json === true ? JSON.stringify(created) : `created ${created.role} key ${created.prefix} (id ${created.id})\n\n  ${created.key}\n\nIt is shown only this once.`);
    } else if (sub === 'list') {
      const list = await keys.list();
      io.out(flags.json === true ? JSON.stringify(list) : list.map((k) => `${k.prefix}  ${k.role.padEnd(9)} ${(k.workspaceId ?? '*').padEnd(12)} ${k.revokedAt === null ? 'active ' : 'revoked'}  ${k.createdAt}  ${(k.lastUsedAt ?? 'never').padEnd(24)}  ${k.name}  ${k.id}`).join('\n') || 'no keys');
    } else if (sub === 'revoke' && arg !== undefined) {
      const revoked = await keys.revoke(arg);
      io.out(`revoked ${revoked.prefix} (${revoked.name})`);
    } else {
      throw new GatewayError('SB_INVALID_REQUEST', { message: USAGE });
    }
  });
}

async function withStorage(flags: Flags, env: Env, work: (keys: KeyAdmin) => Promise<void>): Promise<number> {
  const config = configFrom(flags, env);
  // main.ts is the one place that picks concrete adapters; loaded here so `config validate` stays light.
  const { openStorage } = await import('../main.ts');
  const storage = openStorage(config);
  try {
    await storage.migrate();
    await work(new KeyAdmin(storage.keys));
    return 0;
  } finally {
    await storage.close();
  }
}

function print(io: CliIo, text: string, code: number, error = false): number {
  (error ? io.err : io.out)(text);
  return code;
}
