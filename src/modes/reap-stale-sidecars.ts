import { rm } from 'node:fs/promises';
import type { Logger } from 'pino';
import { dockerRemove } from './docker-cli.ts';
import { readPidFiles, type FoundPidFile } from './pid-file.ts';
import { killProcessGroup, readCmdline, signalGroup } from './process-group.ts';

/**
 * Ends the sidecars an earlier run of the gateway left behind (it was killed before it could stop them), from
 * the pid files in `runDir`; call it at start-up, before any sidecar starts. A process group is killed only when
 * its leader still runs exactly the recorded argv (/proc/<pid>/cmdline), so a pid the kernel has since given to
 * another program is never touched; a recorded container is removed. Every pid file is removed. Never rejects.
 */
export async function reapStaleSidecars(runDir: string, logger: Logger): Promise<void> {
  let files: FoundPidFile[];
  try {
    files = await readPidFiles(runDir);
  } catch (err) {
    logger.warn({ err, runDir }, 'sidecar pid files could not be read; sidecars of an earlier run may still be running');
    return;
  }
  await Promise.all(files.map((file) => reapOne(file, logger)));
}

async function reapOne(file: FoundPidFile, logger: Logger): Promise<void> {
  const { record, path } = file;
  try {
    if (record === undefined) {
      logger.warn({ path }, 'unreadable sidecar pid file removed');
    } else if (record.container !== null) {
      const removed = await dockerRemove(record.container);
      logger.warn({ sidecar: record.provider, container: record.container, removed: removed.ok, error: removed.ok ? undefined : removed.output }, 'removed the container of a sidecar left by an earlier run');
    } else if (record.pid !== null) {
      await reapGroup(record.pid, record.argv, record.provider, logger);
    }
  } catch (err) {
    logger.warn({ err, path }, 'a stale sidecar could not be reaped');
  } finally {
    await rm(path, { force: true }).catch(() => undefined);
  }
}

async function reapGroup(pid: number, argv: readonly string[], provider: string, logger: Logger): Promise<void> {
  const cmdline = readCmdline(pid);
  if (cmdline !== undefined && sameArgv(cmdline, argv)) {
    await killProcessGroup(pid);
    logger.warn({ sidecar: provider, pid }, 'stopped a sidecar left running by an earlier run');
  } else if (cmdline !== undefined) {
    logger.info({ sidecar: provider, pid }, 'the pid of a stale sidecar now runs another program; left alone');
  } else if (signalGroup(pid, 0)) {
    // The leader is gone but members of its group live on; without the leader nothing proves they are ours.
    logger.warn({ sidecar: provider, pgid: pid }, 'a stale sidecar\'s leader is gone but its process group lives on; left alone, check it by hand');
  }
}

function sameArgv(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((arg, i) => arg === b[i]);
}
