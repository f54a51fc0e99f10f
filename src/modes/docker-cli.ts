/**
 * The few docker CLI calls a container sidecar needs. The CLI, not the Engine API, so that whatever the operator's
 * `docker` talks to (DOCKER_HOST, contexts, rootless, podman's docker shim) is what the sidecar runs on.
 */
import { execFile } from 'node:child_process';

/** How long `docker version` may take before the engine counts as not answering. */
export const DOCKER_PROBE_TIMEOUT_MS = 3000;
const DOCKER_RM_TIMEOUT_MS = 15_000;

export interface DockerRunSpec {
  readonly name: string;
  readonly provider: string;
  readonly image: string;
  /** Port on 127.0.0.1 of this host. */
  readonly port: number;
  readonly containerPort: number;
  /** Variables passed into the container by name; their values come from the CLI's own environment. */
  readonly envNames: readonly string[];
}

/**
 * The arguments of `docker run` for a sidecar (without "docker"). Published on 127.0.0.1 only; `-e NAME` without
 * a value, so that no secret is ever on a command line that `ps` shows; labelled so an operator can find them.
 */
export function dockerRunArgs(spec: DockerRunSpec): string[] {
  const env = spec.envNames.flatMap((name) => ['-e', name]);
  return [
    'run', '-d', '--rm', '--name', spec.name, '--label', `switchboard.sidecar=${spec.provider}`,
    '-p', `127.0.0.1:${spec.port}:${spec.containerPort}`, ...env, spec.image,
  ];
}

export interface DockerResult {
  readonly ok: boolean;
  /** stdout when ok, else the first line of stderr (or why the CLI did not run). */
  readonly output: string;
}

/** Runs the docker CLI once; never rejects. */
export function docker(args: readonly string[], timeoutMs: number, env: NodeJS.ProcessEnv = process.env): Promise<DockerResult> {
  return new Promise((resolve) => {
    execFile('docker', args, { timeout: timeoutMs, killSignal: 'SIGKILL', env, maxBuffer: 1024 * 1024 }, (err, stdout, stderr) => {
      if (err === null) return resolve({ ok: true, output: stdout.trim() });
      const first = stderr.trim().split('\n')[0] ?? '';
      const e = err as NodeJS.ErrnoException & { killed?: boolean };
      const why = e.code === 'ENOENT' ? 'the docker CLI is not on PATH' : e.killed === true ? `no answer within ${timeoutMs} ms` : first !== '' ? first : err.message;
      resolve({ ok: false, output: why });
    });
  });
}

/** The engine's version when one answers within the timeout. */
export function dockerEngineVersion(timeoutMs: number = DOCKER_PROBE_TIMEOUT_MS): Promise<DockerResult> {
  return docker(['version', '--format', '{{.Server.Version}}'], timeoutMs);
}

/** Removes a container whether it runs or not; a container that is already gone counts as removed. */
export async function dockerRemove(name: string): Promise<DockerResult> {
  const result = await docker(['rm', '-f', name], DOCKER_RM_TIMEOUT_MS);
  return result.ok || /no such container/i.test(result.output) ? { ok: true, output: name } : result;
}
