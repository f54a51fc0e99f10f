/**
 * A real etcd for tests: one member on free loopback ports with its own temporary data directory. It can be
 * stopped and started again on the same ports and data (to test outages and resyncs), and close() kills it and
 * removes the directory. A test file that needs etcd fails loudly when the binary is missing, never skips.
 *
 * It listens on two client URLs: `endpoint` for the code under test and `setupEndpoint` for the test's own
 * writes. start({ offline: true }) serves only the latter, so a test can change the data while the code under
 * test still finds etcd down, and then see how it resyncs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startedOrClosed } from './started-or-closed.ts';

export const ETCD_BINARY = '/usr/bin/etcd';

export interface EtcdServer {
  /** The client URL for the code under test, e.g. http://127.0.0.1:40123. */
  readonly endpoint: string;
  /** A second client URL for the test's own reads and writes. */
  readonly setupEndpoint: string;
  readonly dataDir: string;
  readonly running: boolean;
  /** Starts the process (again) on the same ports and data directory and waits until it answers. */
  start(options?: { readonly offline?: boolean }): Promise<void>;
  /** Stops the process; the data stays for the next start(). */
  stop(): Promise<void>;
  /** Stops the process and removes the data directory. */
  close(): Promise<void>;
}

/** Throws when etcd is not installed, with the command that installs it. */
export function requireEtcdBinary(): void {
  if (!existsSync(ETCD_BINARY)) {
    throw new Error(`${ETCD_BINARY} not found: these tests need a real etcd. Install it with: apt-get install etcd-server`);
  }
}

/** Allocates ports and a data directory without starting etcd (for tests that start it later). */
export async function createEtcdServer(): Promise<EtcdServer> {
  requireEtcdBinary();
  const url = async (): Promise<string> => `http://127.0.0.1:${await freePort()}`;
  const [endpoint, setupEndpoint, peerUrl] = [await url(), await url(), await url()];
  const dataDir = await mkdtemp(join(tmpdir(), 'switchboard-etcd-'));
  return new EtcdProcess(endpoint, setupEndpoint, peerUrl, dataDir);
}

export async function startEtcdServer(): Promise<EtcdServer> {
  const server = await createEtcdServer();
  return startedOrClosed(server);
}

class EtcdProcess implements EtcdServer {
  readonly endpoint: string;
  readonly setupEndpoint: string;
  readonly dataDir: string;
  readonly #peerUrl: string;
  #child: ChildProcess | undefined;
  #output = '';
  // Kills a running etcd if the test process exits without close() (a crash, an assertion in a hook).
  readonly #onExit = (): void => { this.#child?.kill('SIGKILL'); };

  constructor(endpoint: string, setupEndpoint: string, peerUrl: string, dataDir: string) {
    this.endpoint = endpoint;
    this.setupEndpoint = setupEndpoint;
    this.#peerUrl = peerUrl;
    this.dataDir = dataDir;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  async start(options: { readonly offline?: boolean } = {}): Promise<void> {
    if (this.#child !== undefined) throw new Error('etcd is already running; stop() it first');
    this.#output = '';
    const clientUrls = options.offline === true ? this.setupEndpoint : `${this.endpoint},${this.setupEndpoint}`;
    const child = spawn(ETCD_BINARY, [
      '--name', 'default', '--data-dir', join(this.dataDir, 'data'),
      '--listen-client-urls', clientUrls, '--advertise-client-urls', clientUrls,
      '--listen-peer-urls', this.#peerUrl, '--initial-advertise-peer-urls', this.#peerUrl,
      '--initial-cluster', `default=${this.#peerUrl}`,
      // Short raft timers: a one-member cluster elects itself sooner, so each start costs less test time.
      '--heartbeat-interval', '20', '--election-timeout', '200',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer): void => { this.#output = (this.#output + chunk.toString()).slice(-4000); };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.#child = child;
    process.once('exit', this.#onExit);
    child.once('exit', () => {
      if (this.#child === child) this.#child = undefined;
      process.removeListener('exit', this.#onExit);
    });
    await this.#waitUntilHealthy(child);
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    await this.stop();
    await rm(this.dataDir, { recursive: true, force: true });
  }

  async #waitUntilHealthy(child: ChildProcess): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`etcd exited during start (${child.exitCode ?? child.signalCode}):\n${this.#output}`);
      }
      try {
        const res = await fetch(`${this.setupEndpoint}/health`, { signal: AbortSignal.timeout(500) });
        const body = await res.json() as { health?: string };
        if (body.health === 'true') return;
      } catch {
        // Not listening yet.
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await this.stop();
    throw new Error(`etcd did not become healthy within 15 s:\n${this.#output}`);
  }
}

/** A port that was free a moment ago: listen on port 0, read the port, close. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
