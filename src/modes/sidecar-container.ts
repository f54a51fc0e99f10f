import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { docker, dockerEngineVersion, dockerRemove, dockerRunArgs } from './docker-cli.ts';
import { removeContainerOnExit } from './kill-on-exit.ts';
import { LaunchError, type SidecarExit, type SidecarInstance } from './sidecar-instance.ts';

export interface ContainerLaunch {
  readonly provider: string;
  readonly image: string;
  readonly port: number;
  readonly containerPort: number;
  /** Variables for the container (embedded.env and PORT), values resolved. */
  readonly env: Readonly<Record<string, string>>;
  /** How long `docker run` may take (an image pull included). */
  readonly timeoutMs: number;
  readonly logger: Logger;
}

/**
 * Runs an image sidecar with the docker CLI and resolves once its container runs. With no engine answering,
 * rejects at once with a permanent LaunchError ("no Docker engine answers: …"); a failed `docker run` (a taken
 * port, a missing image) is worth a restart. The container's end is watched with `docker wait`.
 */
export async function launchContainer(launch: ContainerLaunch): Promise<SidecarInstance> {
  const engine = await dockerEngineVersion();
  if (!engine.ok) throw new LaunchError(`no Docker engine answers: ${engine.output}`, true);
  const name = `switchboard-${launch.provider}-${randomBytes(4).toString('hex')}`;
  const args = dockerRunArgs({
    name, provider: launch.provider, image: launch.image, port: launch.port, containerPort: launch.containerPort,
    envNames: Object.keys(launch.env),
  });
  const forget = removeContainerOnExit(name);
  const run = await docker(args, launch.timeoutMs, { ...process.env, ...launch.env });
  if (!run.ok) {
    await dockerRemove(name); // a timed-out run may still create it
    forget();
    throw new LaunchError(`docker run ${launch.image} failed: ${run.output}`, false);
  }
  launch.logger.debug({ sidecar: launch.provider, container: name, id: run.output }, 'sidecar container started');
  const exited = waitForContainer(name);
  let stopping: Promise<void> | undefined;
  return {
    pid: undefined, container: name, argv: ['docker', ...args], exited,
    stop: () => {
      stopping ??= dockerRemove(name).then(async (removed) => {
        if (!removed.ok) launch.logger.warn({ sidecar: launch.provider, container: name, error: removed.output }, 'sidecar container could not be removed');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
      }).finally(forget);
      return stopping;
    },
  };
}

/** `docker wait` prints the exit code when the container ends; if it cannot watch (already gone), the container counts as ended. */
function waitForContainer(name: string): Promise<SidecarExit> {
  return new Promise((resolve) => {
    const waiter = spawn('docker', ['wait', name], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    waiter.stdout.setEncoding('utf8');
    waiter.stdout.on('data', (chunk: string) => {
      if (out.length < 64) out += chunk;
    });
    waiter.on('error', () => resolve({ code: null, signal: null }));
    waiter.on('exit', () => {
      const code = Number.parseInt(out.trim(), 10);
      resolve({ code: Number.isNaN(code) ? null : code, signal: null });
    });
  });
}
