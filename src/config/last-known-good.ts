import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ConfigLayers } from './build-config.ts';
import { isTree } from './merge-patch.ts';

/** What a replica keeps on local disk so it can start, and keep serving, while its configuration store is down. */
export interface LastKnownGood {
  readonly version: number;
  readonly layers: ConfigLayers;
  readonly savedAt: string;
}

/**
 * Written whole to a temporary file and renamed over the old one, so a crash mid-write never leaves half a copy.
 * Mode 0600: the layers hold secret references, not secrets, but they still describe the deployment.
 */
export function saveLastKnownGood(file: string, copy: LastKnownGood): void {
  mkdirSync(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, JSON.stringify(copy), { mode: 0o600 });
  renameSync(temp, file);
}

/** The copy, or undefined when there is none or it cannot be read (then the process starts on its file alone). */
export function loadLastKnownGood(file: string): LastKnownGood | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isTree(parsed) || typeof parsed.version !== 'number' || typeof parsed.savedAt !== 'string' || !isTree(parsed.layers)) return undefined;
  const { file: fileLayer, admin, etcd } = parsed.layers;
  if (!isTree(fileLayer) || !isTree(admin) || !isTree(etcd)) return undefined;
  return { version: parsed.version, savedAt: parsed.savedAt, layers: { file: fileLayer, admin, etcd } };
}
