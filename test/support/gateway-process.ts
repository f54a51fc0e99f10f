import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

/** A real `switchboard serve` process, as a replica runs in production. */
export interface GatewayProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything it wrote, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * Starts `node src/cli/main.ts serve` on a free port with `env` (merged over a minimal environment: no settings of
 * the test process leak in) and resolves once it listens. Fails with its output if it exits or takes over 20 s.
 */
export async function startGatewayProcess(env: Record<string, string>, args: readonly string[] = []): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN, 'serve', ...args], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HTTP_PORT: '0', METRICS_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { text += chunk.toString(); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start within 20 s:\n${text}`)), 20_000);
    const check = (): void => {
      const match = /listening on (http:\/\/[\d.]+:\d+)/.exec(text);
      if (match?.[1] !== undefined) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`gateway exited with ${code}:\n${text}`)); });
  });
  return {
    url, child, output: () => text,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) { resolve(); return; }
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }),
  };
}
