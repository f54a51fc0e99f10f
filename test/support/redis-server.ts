import { spawn, type ChildProcess } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A redis-server of the test's own, on a free port, that the test may stop and start again (the machine's one keeps running). */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills it (SIGKILL: as a crash). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty (no persistence). */
  start(): Promise<void>;
}

/** `wrap`: how to run the command (the benchmark pins it to a CPU with taskset). */
export async function startTestRedis(wrap: (command: string, args: string[]) => { command: string; args: string[] } = (command, args) => ({ command, args })): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const run = wrap('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    child = spawn(run.command, run.args, { stdio: 'ignore' });
    const deadline = performance.now() + 5000;
    while (!(await answers(port))) {
      if (performance.now() > deadline) throw new Error(`redis-server on port ${port} did not start within 5 s`);
      await sleep(20);
    }
  };
  const stop = async (): Promise<void> => {
    const running = child;
    if (running === undefined || running.exitCode !== null) return;
    await new Promise<void>((resolve) => { running.once('exit', () => resolve()); running.kill('SIGKILL'); });
  };
  await start();
  return { port, url: `redis://127.0.0.1:${port}`, stop, start };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address !== null ? address.port : 0;
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.write('PING\r\n'); });
    socket.once('data', (data) => { socket.destroy(); resolve(data.toString().startsWith('+PONG')); });
    socket.once('error', () => resolve(false));
  });
}
