// Child processes of the harness: started in one place, tracked, and always stopped by pid — on
// normal exit, on error and on Ctrl-C — so a broken run never leaves a proxy or gateway behind.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

const TAIL_BYTES = 64 * 1024;
const live = new Set<ManagedChild>();
let interrupted = false;

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export class ManagedChild {
  readonly name: string;
  readonly process: ChildProcess;
  /** resolves with the exit code (or signal name) once the process has exited and its pipes closed */
  readonly closed: Promise<number | string>;
  #stdout = '';
  #stderr = '';
  #exit: number | string | null = null;

  constructor(spec: ChildSpec) {
    this.name = spec.name;
    // stdin stays an open pipe: our own children exit when it closes, i.e. when the harness dies.
    this.process = spawn(spec.command, spec.args, { cwd: spec.cwd, env: spec.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout?.setEncoding('utf8').on('data', (d: string) => (this.#stdout = (this.#stdout + d).slice(-TAIL_BYTES)));
    this.process.stderr?.setEncoding('utf8').on('data', (d: string) => (this.#stderr = (this.#stderr + d).slice(-TAIL_BYTES)));
    this.process.stdin?.on('error', () => undefined); // EPIPE when the child is gone: nothing to do
    this.closed = new Promise((resolve) => {
      this.process.on('error', (err) => this.#stderrAppend(`spawn failed: ${err.message}\n`));
      this.process.on('close', (code, signal) => {
        this.#exit = code ?? signal ?? 'unknown';
        live.delete(this);
        resolve(this.#exit);
      });
    });
    live.add(this);
  }

  get pid(): number {
    return this.process.pid ?? 0;
  }

  get exitCode(): number | string | null {
    return this.#exit;
  }

  get stdout(): string {
    return this.#stdout;
  }

  /** The last `lines` lines of stderr, for error messages. */
  stderrTail(lines = 15): string {
    return this.#stderr.trimEnd().split('\n').slice(-lines).join('\n');
  }

  #stderrAppend(text: string): void {
    this.#stderr = (this.#stderr + text).slice(-TAIL_BYTES);
  }

  /** The first stdout line, parsed as JSON (children announce their port this way). */
  async firstJsonLine<T>(timeoutMs: number): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline && this.#exit === null && !this.#stdout.includes('\n')) await sleep(20);
    const line = this.#stdout.split('\n')[0] ?? '';
    if (!this.#stdout.includes('\n')) throw new Error(`${this.name} printed nothing in ${timeoutMs} ms (exit ${this.#exit ?? 'none'}):\n${this.stderrTail()}`);
    return JSON.parse(line) as T;
  }

  /** SIGTERM, then SIGKILL if still running after graceMs. */
  async stop(graceMs = 3000): Promise<void> {
    if (this.#exit !== null) return;
    this.process.kill('SIGTERM');
    const timer = setTimeout(() => this.process.kill('SIGKILL'), graceMs);
    await this.closed;
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** True once Ctrl-C or SIGTERM arrived: failures of children stopped on purpose are not errors. */
export function wasInterrupted(): boolean {
  return interrupted;
}

export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map((child) => child.stop()));
}

/** Stops every child on exit, Ctrl-C and SIGTERM; `onExit` runs last (e.g. removing temp dirs). */
export function installCleanup(onExit: () => void): void {
  process.on('exit', () => {
    for (const child of live) child.process.kill('SIGKILL'); // last resort: 'exit' handlers must be synchronous
    onExit();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      interrupted = true;
      process.stderr.write(`\nbench: ${signal}, stopping children\n`);
      void stopAllChildren().finally(() => process.exit(130));
    });
  }
}
