/**
 * The layering of DESIGN.md §3 as one lint rule, so that a wrong-way import fails `npm test` instead of a review.
 *
 * Every file under src/ belongs to an area: its first folder (src/routing/…) or, for the files at the top,
 * the file itself (main.ts, app.ts). The table says which other areas an area may import; the same area and
 * Node's built-ins are always allowed. Three further rules hold everywhere in src/:
 *   - fastify and @fastify/* only in http/, app.ts and main.ts (the composition root);
 *   - concrete adapters (storage/sqlite, storage/postgres, storage/memory, the HTTP and mock providers and their
 *     factory) are picked by main.ts alone; code inside their own folder may still import them;
 *   - node:sqlite only inside storage/sqlite.
 * Tests (*.test.ts, test/) are exempt: they wire real adapters on purpose.
 */
import path from 'node:path';
import { builtinModules } from 'node:module';
import type { Rule } from 'eslint';

/** The shared bottom: plain data, error codes and the configuration shape, importable by everyone. */
const BASE = ['domain', 'errors', 'config'];

/** Which areas each area may import besides itself. An area missing here may import nothing of ours. */
export const ALLOWED_AREAS: Readonly<Record<string, readonly string[]>> = {
  domain: ['config'],
  errors: ['domain'],
  // config/ reads and writes its versions through the storage port (never an adapter); storage knows no config.
  config: ['errors', 'domain', 'storage'],
  storage: ['domain', 'errors'],
  upstream: BASE,
  providers: ['upstream', ...BASE],
  // The proxy and embedded modes wrap providers' adapters; the sidecar supervisor logs through observability's logger.
  modes: ['providers', 'upstream', 'observability', ...BASE],
  usage: ['storage', ...BASE],
  observability: ['usage', 'storage', ...BASE],
  // The audit log: events built from a request's facts, buffered and written through the storage port.
  audit: ['storage', ...BASE],
  auth: ['audit', 'storage', 'observability', ...BASE],
  health: ['upstream', 'observability', ...BASE],
  // Rate limits and budgets: counters behind one port; the HTTP layer asks, the composition root picks the adapter.
  limits: ['observability', ...BASE],
  // Budgets are limits counted in money: the counters are the limiter's; periods, prices and alerts are theirs.
  budgets: ['limits', 'usage', 'observability', ...BASE],
  routing: ['auth', 'providers', 'health', 'upstream', 'usage', 'observability', 'storage', ...BASE],
  admin: ['audit', 'auth', 'routing', 'health', 'providers', 'usage', 'storage', ...BASE],
  http: ['admin', 'audit', 'auth', 'budgets', 'limits', 'routing', 'health', 'providers', 'upstream', 'usage', 'observability', 'storage', 'version.ts', ...BASE],
  'app.ts': ['http', 'observability', ...BASE],
  'version.ts': [],
  // The composition root and the CLI (which asks main.ts for its adapters) may import anything.
  'main.ts': ['*'],
  cli: ['*'],
};

/** Files and folders (relative to src/) that only main.ts picks; a prefix ending in '/' covers a folder. */
export const CONCRETE_ADAPTERS: readonly string[] = [
  'storage/sqlite/',
  'storage/postgres/',
  'storage/memory/',
  'providers/mock/',
  'providers/create-provider.ts',
  'providers/http-provider.ts',
];

const FASTIFY_AREAS = new Set(['http', 'app.ts', 'main.ts']);
const BUILTINS = new Set(builtinModules);

function areaOf(srcRelative: string): string {
  const slash = srcRelative.indexOf('/');
  return slash === -1 ? srcRelative : srcRelative.slice(0, slash);
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

function isConcrete(srcRelative: string): string | undefined {
  return CONCRETE_ADAPTERS.find((a) => (a.endsWith('/') ? srcRelative.startsWith(a) : srcRelative === a));
}

/** Why `fromFile` (relative to src/) may not import `specifier`, or undefined when it may. */
export function layeringViolation(fromFile: string, specifier: string): string | undefined {
  const from = areaOf(fromFile);
  if (!specifier.startsWith('.')) {
    const name = packageName(specifier);
    if (specifier.startsWith('node:') || BUILTINS.has(name)) {
      if (name === 'node:sqlite' && !fromFile.startsWith('storage/sqlite/')) {
        return 'node:sqlite is used only inside storage/sqlite/';
      }
      return undefined;
    }
    if ((name === 'fastify' || name.startsWith('@fastify/')) && !FASTIFY_AREAS.has(from)) {
      return `${name} may be imported only in http/, app.ts and main.ts (src/${from} is outside them)`;
    }
    return undefined;
  }
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  if (target.startsWith('../')) return undefined; // outside src/ (e.g. package.json): not a layer
  const to = areaOf(target);
  const allowed = ALLOWED_AREAS[from] ?? [];
  if (to !== from && !allowed.includes('*') && !allowed.includes(to)) {
    return `src/${from} may not import src/${to} (allowed: ${allowed.length > 0 ? allowed.join(', ') : 'nothing outside itself'})`;
  }
  const concrete = isConcrete(target);
  if (concrete !== undefined && from !== 'main.ts' && from !== 'cli' && !fromFile.startsWith(concrete.split('/')[0] + '/')) {
    return `src/${target} is a concrete adapter: only main.ts picks it`;
  }
  return undefined;
}

export const layeringRule: Rule.RuleModule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the layering of DESIGN.md §3' },
    schema: [],
    messages: { layering: '{{why}} (layering: docs/adr/0004-layering.md)' },
  },
  create(context) {
    const relative = path.relative(context.cwd, context.filename).split(path.sep).join('/');
    if (!relative.startsWith('src/') || relative.endsWith('.test.ts') || relative.includes('/fixtures/')) return {};
    const fromFile = relative.slice('src/'.length);
    const check = (node: Rule.Node, source: unknown): void => {
      if (typeof source !== 'string') return;
      const why = layeringViolation(fromFile, source);
      if (why !== undefined) context.report({ node, messageId: 'layering', data: { why } });
    };
    return {
      ImportDeclaration: (node) => check(node, node.source.value),
      ExportNamedDeclaration: (node) => check(node, node.source?.value),
      ExportAllDeclaration: (node) => check(node, node.source.value),
      ImportExpression: (node) => check(node, node.source.type === 'Literal' ? node.source.value : undefined),
    };
  },
};
