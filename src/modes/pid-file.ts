/**
 * `<runDir>/<provider>.pid`: what a running sidecar is, written when it starts and removed when it is stopped
 * cleanly, so that a gateway killed without a chance to stop its sidecars (SIGKILL, OOM, power) finds and ends
 * them at its next start (reap-stale-sidecars.ts).
 */
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface PidRecord {
  readonly provider: string;
  /** Leader of the sidecar's process group; null for a container. */
  readonly pid: number | null;
  /** Name of the sidecar's container; null for a command. */
  readonly container: string | null;
  /** What was run, exactly as /proc/<pid>/cmdline shows it for a command (the docker CLI call for a container). */
  readonly argv: readonly string[];
  readonly startedAt: string;
}

/** A pid file as found on disk; `record` is undefined when the file is not one we wrote. */
export interface FoundPidFile {
  readonly path: string;
  readonly record: PidRecord | undefined;
}

const SUFFIX = '.pid';

export function pidFilePath(runDir: string, provider: string): string {
  return join(runDir, `${provider}${SUFFIX}`);
}

/** Written to a temporary name and renamed, so a crash mid-write never leaves half a record. */
export async function writePidFile(runDir: string, record: PidRecord): Promise<void> {
  await mkdir(runDir, { recursive: true, mode: 0o700 });
  const path = pidFilePath(runDir, record.provider);
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(record)}\n`, { mode: 0o600 });
  await rename(temporary, path);
}

/**
 * Removes the provider's pid file if it still describes `record`: a newer sidecar of the same provider (a
 * configuration change builds one before the old one stops) may have written its own since.
 */
export async function removePidFile(runDir: string, record: PidRecord): Promise<void> {
  const path = pidFilePath(runDir, record.provider);
  const found = parsePidRecord(await readFile(path, 'utf8').catch(() => ''));
  if (found === undefined || (found.pid === record.pid && found.container === record.container && found.startedAt === record.startedAt)) {
    await rm(path, { force: true });
  }
}

/** Every pid file in `runDir` (none when it does not exist). */
export async function readPidFiles(runDir: string): Promise<FoundPidFile[]> {
  const names = await readdir(runDir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const found: FoundPidFile[] = [];
  for (const name of names) {
    if (!name.endsWith(SUFFIX)) continue;
    const path = join(runDir, name);
    found.push({ path, record: parsePidRecord(await readFile(path, 'utf8').catch(() => '')) });
  }
  return found;
}

/** The record in a pid file's text, or undefined when it is not a valid one. */
export function parsePidRecord(text: string): PidRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  const pid = r.pid === null || (Number.isInteger(r.pid) && (r.pid as number) > 1) ? (r.pid as number | null) : undefined;
  const container = r.container === null || typeof r.container === 'string' ? r.container : undefined;
  const argv = Array.isArray(r.argv) && r.argv.every((a) => typeof a === 'string') ? (r.argv as string[]) : undefined;
  if (typeof r.provider !== 'string' || pid === undefined || container === undefined || argv === undefined || typeof r.startedAt !== 'string') return undefined;
  if ((pid === null) === (container === null)) return undefined;
  return { provider: r.provider, pid, container, argv, startedAt: r.startedAt };
}
