/**
 * A real nats-server with JetStream for tests: on a free loopback port with its own store directory, so that a
 * test can stop it (as a crash or gracefully) and start it again on the same port and store, which the machine's
 * shared server (port 4222) must never be put through. A test file that needs it fails loudly when the binary is
 * missing, never skips.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/modes/free-port.ts';
import { startedOrClosed } from './started-or-closed.ts';

export const NATS_SERVER_BINARY = '/usr/sbin/nats-server';
/** What the server prints once it accepts clients, JetStream included. */
const READY_LINE = 'Server is ready';
const START_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5000;

export interface NatsServer {
  readonly port: number;
  /** nats://127.0.0.1:<port>. */
  readonly url: string;
  readonly storeDir: string;
  readonly running: boolean;
  /** Starts the process (again) on the same port and store directory and waits until it accepts clients. */
  start(): Promise<void>;
  /** Stops it: SIGKILL (the default) is a crash, SIGTERM a clean shutdown. The store stays for the next start(). */
  stop(signal?: 'SIGKILL' | 'SIGTERM'): Promise<void>;
  /** Freezes it (SIGSTOP): connections stay open and nothing is answered, as a hung server; resume() thaws it. */
  pause(): void;
  resume(): void;
  /** Stops it and removes the store directory. */
  close(): Promise<void>;
}

export async function startNatsServer(): Promise<NatsServer> {
  if (!existsSync(NATS_SERVER_BINARY)) {
    throw new Error(`${NATS_SERVER_BINARY} not found: these tests need a real NATS server. Install it with: apt-get install nats-server`);
  }
  const server = new NatsProcess(await freePort(), await mkdtemp(join(tmpdir(), 'switchboard-nats-')));
  return startedOrClosed(server);
}

class NatsProcess implements NatsServer {
  readonly port: number;
  readonly url: string;
  readonly storeDir: string;
  #child: ChildProcess | undefined;
  #output = '';
  // Kills a running server if the test process exits without close() (a crash, a failed assertion in a hook).
  readonly #onExit = (): void => { this.#child?.kill('SIGKILL'); };

  constructor(port: number, storeDir: string) {
    this.port = port;
    this.url = `nats://127.0.0.1:${port}`;
    this.storeDir = storeDir;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(): Promise<void> {
    if (this.#child !== undefined) throw new Error('nats-server is already running; stop() it first');
    this.#output = '';
    const child = spawn(NATS_SERVER_BINARY, ['-a', '127.0.0.1', '-p', String(this.port), '-js', '-sd', this.storeDir], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    process.once('exit', this.#onExit);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      process.removeListener('exit', this.#onExit);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error(`nats-server did not start within ${START_TIMEOUT_MS} ms:\n${this.#output}`)), START_TIMEOUT_MS);
      const keep = (chunk: Buffer): void => {
        this.#output = (this.#output + chunk.toString()).slice(-8000);
        if (this.#output.includes(READY_LINE)) done();
      };
      const exited = (code: number | null, signal: string | null): void => fail(new Error(`nats-server exited during start (${code ?? signal}):\n${this.#output}`));
      const cleanUp = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', keep);
        child.stderr?.off('data', keep);
        child.off('exit', exited);
      };
      const done = (): void => { cleanUp(); resolve(); };
      const fail = (err: Error): void => { cleanUp(); child.kill('SIGKILL'); reject(err); };
      child.stdout?.on('data', keep);
      child.stderr?.on('data', keep);
      child.once('exit', exited);
    });
    // Nothing reads the output from here on; an undrained pipe would stall the server once it filled.
    child.stdout?.resume();
    child.stderr?.resume();
  }

  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    await exited;
    clearTimeout(timer);
  }

  pause(): void {
    this.#child?.kill('SIGSTOP');
  }

  resume(): void {
    this.#child?.kill('SIGCONT');
  }

  async close(): Promise<void> {
    this.resume();
    await this.stop();
    await rm(this.storeDir, { recursive: true, force: true });
  }
}
