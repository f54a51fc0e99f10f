import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import { killGroupOnExit } from './kill-on-exit.ts';
import { drainLines } from './line-drain.ts';
import { killProcessGroup } from './process-group.ts';
import { resolveCommand } from './resolve-command.ts';
import { LaunchError, type SidecarExit, type SidecarInstance } from './sidecar-instance.ts';

export interface ProcessLaunch {
  readonly provider: string;
  /** The argv with "{port}" already replaced. */
  readonly argv: readonly string[];
  /** The whole environment of the child. */
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
}

/**
 * Spawns a command sidecar as the leader of its own process group and resolves once it runs. Rejects with a
 * permanent LaunchError when the command does not exist (checked on the child's PATH first; ENOENT from the
 * spawn itself, e.g. a script whose interpreter is missing, likewise) and never throws otherwise.
 */
export async function launchProcess(launch: ProcessLaunch): Promise<SidecarInstance> {
  const [file, ...args] = launch.argv;
  if (file === undefined) throw new LaunchError('embedded.command is empty', true);
  if (resolveCommand(file, launch.env.PATH) === undefined) {
    throw new LaunchError(file.includes('/') ? `command "${file}" does not exist or is not executable` : `command "${file}" was not found on PATH`, true);
  }
  let child: ChildProcess;
  try {
    child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: launch.env });
  } catch (err) {
    throw new LaunchError(`command "${file}" could not be started: ${(err as Error).message}`, false);
  }
  const exited = new Promise<SidecarExit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  await spawned(child, file);
  // Errors after the spawn (a failed kill) must not become an unhandled 'error' event that ends the gateway.
  child.on('error', (err) => launch.logger.warn({ err, sidecar: launch.provider }, 'sidecar process error'));
  pipeOutput(child, launch);
  const pid = child.pid as number;
  const forget = killGroupOnExit(pid);
  let stopping: Promise<void> | undefined;
  return {
    pid, container: undefined, argv: launch.argv, exited,
    stop: () => {
      stopping ??= stopGroup(pid, exited).finally(forget);
      return stopping;
    },
  };
}

function spawned(child: ChildProcess, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (err: NodeJS.ErrnoException) => {
      const permanent = err.code === 'ENOENT' || err.code === 'EACCES';
      reject(new LaunchError(`command "${file}" could not be started: ${err.code ?? err.message}`, permanent));
    });
  });
}

/** The group goes even when its leader already exited (a crash may leave its children); then the leader's exit is awaited. */
async function stopGroup(pid: number, exited: Promise<SidecarExit>): Promise<void> {
  await killProcessGroup(pid);
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
}

/** Output goes to debug logs line by line, or is read and dropped: a pipe nobody reads would block the child. */
function pipeOutput(child: ChildProcess, launch: ProcessLaunch): void {
  const debug = launch.logger.isLevelEnabled('debug');
  for (const [name, stream] of [['stdout', child.stdout], ['stderr', child.stderr]] as const) {
    if (stream === null) continue;
    if (!debug) {
      stream.on('error', () => undefined);
      stream.resume();
      continue;
    }
    drainLines(stream, (line) => launch.logger.debug({ sidecar: launch.provider, stream: name, pid: child.pid }, line));
  }
}
