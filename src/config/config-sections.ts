import { isTree, type Tree } from './merge-patch.ts';

/**
 * The sections every replica shares: stored with each configuration version, changed through the admin API,
 * imports and etcd. Everything else (server, logLevel, dataDir, adminKey, usage, database, etcd, redis) belongs to one
 * process: it comes from its file and environment only and takes effect at the next start.
 */
export const SHARED_SECTIONS = [
  'providers', 'models', 'routing', 'pricing', 'resilience', 'routingRules', 'experiments', 'overrides', 'agentPreferences',
  'workspaces', 'limits', 'services', 'voicePools',
] as const;

export type SharedSection = typeof SHARED_SECTIONS[number];

const SHARED = new Set<string>(SHARED_SECTIONS);

export function isSharedSection(name: string): name is SharedSection {
  return SHARED.has(name);
}

/** The shared sections of a tree (a copy); with `rest`, the other top-level keys go there. */
export function sharedPart(tree: unknown, rest?: Tree): Tree {
  const out: Tree = {};
  if (!isTree(tree)) return out;
  for (const [key, value] of Object.entries(tree)) {
    if (isSharedSection(key)) out[key] = structuredClone(value);
    else if (rest !== undefined) rest[key] = value;
  }
  return out;
}
