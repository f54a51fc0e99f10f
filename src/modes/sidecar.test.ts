import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Logger } from 'pino';
import {
  captureLogger, embeddedSpec, findProcesses, fixtureCommand, http, newMarker, SIDECAR_FIXTURE, tempRunDir, type LogLine,
} from '../../test/support/sidecar-harness.ts';
import { until } from '../../test/support/until.ts';
import { dockerEngineVersion } from './docker-cli.ts';
import { freePort } from './free-port.ts';
import { parsePidRecord, pidFilePath } from './pid-file.ts';
import { processAlive } from './process-group.ts';
import { reapStaleSidecars, Sidecar, type SidecarState, type SidecarStatus } from './sidecar.ts';

/** Small intervals, so that every lifecycle step of these tests takes tens of milliseconds. */
const FAST = { startTimeoutMs: 5000, healthIntervalMs: 50, healthTimeoutMs: 500, restartBackoffMs: 20, maxRestartBackoffMs: 100 };

interface Harness {
  readonly sidecar: Sidecar;
  readonly runDir: string;
  readonly lines: LogLine[];
  /** Every status passed to onChange, in order. */
  readonly changes: SidecarStatus[];
  readonly marker: string;
}

/** A sidecar on the fixture (or `command`), stopped when the test ends, which also checks that nothing it started lives on. */
function sidecarFor(t: TestContext, settings: Record<string, unknown> = {}, logger?: Logger): Harness {
  const marker = newMarker();
  const runDir = tempRunDir(t);
  const captured = captureLogger();
  const sidecar = new Sidecar({
    provider: 'local', spec: embeddedSpec({ command: fixtureCommand(marker), ...FAST, ...settings }), runDir, logger: logger ?? captured.logger,
  });
  const changes: SidecarStatus[] = [];
  sidecar.onChange((s) => changes.push(s));
  t.after(async () => {
    await sidecar.stop();
    assert.deepEqual(findProcesses(marker), [], 'no process of the test outlives it');
  });
  return { sidecar, runDir, lines: captured.lines, changes, marker };
}

function ready(sidecar: Sidecar, timeoutMs = 5000): Promise<void> {
  return until(() => sidecar.state === 'ready', 'the sidecar to be ready', timeoutMs);
}

function states(changes: readonly SidecarStatus[]): SidecarState[] {
  return changes.map((c) => c.state);
}

async function healthPid(baseUrl: string): Promise<number> {
  return (JSON.parse((await http(`${baseUrl}/health`)).body) as { pid: number }).pid;
}

describe('Sidecar', () => {
  it('starts the command, becomes ready, answers on its base URL and stops cleanly', async (t) => {
    const h = sidecarFor(t);
    h.sidecar.onChange(() => {
      throw new Error('a broken listener');
    });
    assert.equal(h.sidecar.state, 'stopped');
    h.sidecar.start();
    assert.equal(h.sidecar.state, 'starting');
    assert.equal(h.sidecar.baseUrl, undefined, 'no base URL before it is ready');
    await ready(h.sidecar);

    const status = h.sidecar.status();
    assert.equal(h.sidecar.baseUrl, `http://127.0.0.1:${status.port}`);
    assert.ok(status.pid !== null && processAlive(status.pid));
    assert.equal(status.restarts, 0);
    assert.ok(status.startedAt !== null && status.readyAt !== null);
    assert.deepEqual({ ok: status.lastCheck?.ok, lastError: status.lastError }, { ok: true, lastError: null });
    const answer = await http(`${h.sidecar.baseUrl}/v1/chat/completions`, 'POST', '{"model":"m","messages":[]}');
    assert.match(answer.body, new RegExp(`from sidecar ${status.pid}`));

    const record = parsePidRecord(readFileSync(pidFilePath(h.runDir, 'local'), 'utf8'));
    assert.deepEqual(record?.argv, [process.execPath, SIDECAR_FIXTURE, String(status.port), h.marker], 'the pid file records the argv that runs');
    assert.equal(record?.pid, status.pid);
    await until(() => h.lines.some((l) => l.level === 20 && /listening on/.test(l.msg)), 'the sidecar\'s stdout in the debug log');

    await h.sidecar.stop();
    assert.equal(h.sidecar.state, 'stopped');
    assert.equal(processAlive(status.pid), false);
    assert.equal(existsSync(pidFilePath(h.runDir, 'local')), false, 'a clean stop removes the pid file');
    assert.equal(h.sidecar.status().lastExit?.signal, 'SIGTERM');
    assert.deepEqual(states(h.changes), ['starting', 'ready', 'stopped']);
    const stateLines = h.lines.filter((l) => /^sidecar "local" is /.test(l.msg));
    assert.deepEqual(stateLines.map((l) => l.msg), ['sidecar "local" is starting', 'sidecar "local" is ready', 'sidecar "local" is stopped'], 'one log line per state change');
    assert.ok(h.lines.some((l) => l.msg === 'a sidecar state listener threw'), 'a throwing listener is logged, not fatal');
    await h.sidecar.stop(); // idempotent
  });

  it('uses a fixed port when one is configured', async (t) => {
    const port = await freePort();
    const h = sidecarFor(t, { port });
    h.sidecar.start();
    await ready(h.sidecar);
    assert.equal(h.sidecar.baseUrl, `http://127.0.0.1:${port}`);
  });

  it('restarts a sidecar that crashes: a new process, ready again, restarts = 1', async (t) => {
    const h = sidecarFor(t);
    h.sidecar.start();
    await ready(h.sidecar);
    const first = h.sidecar.status();
    await http(`${h.sidecar.baseUrl}/crash`, 'POST');
    await until(() => h.sidecar.state === 'ready' && h.sidecar.status().pid !== first.pid, 'a new sidecar to be ready');

    const second = h.sidecar.status();
    assert.equal(second.restarts, 1);
    assert.equal(second.lastExit?.code, 1);
    assert.match(second.lastError ?? '', /exited with code 1/);
    assert.equal(processAlive(first.pid ?? 0), false);
    assert.match((await http(`${h.sidecar.baseUrl}/v1/chat/completions`, 'POST', '{}')).body, new RegExp(`from sidecar ${second.pid}`));
    assert.deepEqual(states(h.changes), ['starting', 'ready', 'restarting', 'ready']);
    assert.equal(h.changes[2]?.lastExit?.code, 1, 'the restarting change says why');
  });

  it('fails after more than maxRestarts restarts and starts no further process', async (t) => {
    const h = sidecarFor(t, { maxRestarts: 3 });
    h.sidecar.start();
    const pids: number[] = [];
    for (let crash = 1; crash <= 4; crash++) {
      await until(() => h.sidecar.state === 'ready' && !pids.includes(h.sidecar.status().pid ?? 0), `ready before crash ${crash}`);
      pids.push(h.sidecar.status().pid ?? 0);
      await http(`${h.sidecar.baseUrl}/crash`, 'POST');
    }
    await until(() => h.sidecar.state === 'failed', 'the sidecar to be failed');
    await new Promise((resolve) => setTimeout(resolve, 300));

    const status = h.sidecar.status();
    assert.equal(status.state, 'failed', 'it stays failed');
    assert.equal(status.restarts, 3);
    assert.equal(status.pid, null);
    assert.match(status.lastError ?? '', /exited with code 1; gave up after 3 restart\(s\) \(embedded.maxRestarts is 3\)/);
    assert.equal(new Set(pids).size, 4);
    assert.deepEqual(findProcesses(h.marker), [], 'no new process after the fourth crash');
    assert.equal(existsSync(pidFilePath(h.runDir, 'local')), false);
    assert.deepEqual(states(h.changes), ['starting', 'ready', 'restarting', 'ready', 'restarting', 'ready', 'restarting', 'ready', 'failed']);
    assert.equal(h.lines.filter((l) => l.msg === 'sidecar "local" is failed' && l.level === 50).length, 1, 'failed is logged once, as an error');
  });

  it('restarts a sidecar whose health path fails unhealthyThreshold checks in a row', async (t) => {
    const h = sidecarFor(t, { unhealthyThreshold: 3, healthIntervalMs: 50 });
    h.sidecar.start();
    await ready(h.sidecar);
    const first = h.sidecar.status();
    const sick = performance.now();
    await http(`${h.sidecar.baseUrl}/unhealthy`, 'POST');
    await until(() => h.sidecar.state === 'restarting', 'the restart');
    const elapsed = performance.now() - sick;
    await until(() => h.sidecar.state === 'ready' && h.sidecar.status().pid !== first.pid, 'a healthy sidecar again');

    assert.ok(elapsed >= 2 * 50, `three checks 50 ms apart take at least 100 ms (took ${Math.round(elapsed)} ms)`);
    const status = h.sidecar.status();
    assert.equal(status.restarts, 1);
    assert.match(h.changes[2]?.lastError ?? '', /failed 3 health checks in a row .*answered HTTP 500/);
    assert.equal(h.changes[2]?.lastCheck?.ok, false);
    assert.equal(processAlive(first.pid ?? 0), false, 'the unhealthy process was ended');
  });

  it('resets the restart count once it stays ready for stableAfterMs', async (t) => {
    const h = sidecarFor(t, { stableAfterMs: 200 });
    h.sidecar.start();
    await ready(h.sidecar);
    const first = h.sidecar.status().pid;
    await http(`${h.sidecar.baseUrl}/crash`, 'POST');
    await until(() => h.sidecar.state === 'ready' && h.sidecar.status().pid !== first, 'ready after the crash');
    assert.equal(h.sidecar.status().restarts, 1);
    await until(() => h.sidecar.status().restarts === 0, 'the restart count to reset', 2000);
  });

  describe('a command that does not exist fails at once, with a clear error and no restart', () => {
    const cases: Array<[string, (dir: string) => string[], RegExp]> = [
      ['a name not on PATH', () => ['no-such-sidecar-command-x7'], /command "no-such-sidecar-command-x7" was not found on PATH/],
      ['a path that does not exist', (dir) => [join(dir, 'missing-sidecar')], /command ".*missing-sidecar" does not exist or is not executable/],
      ['a script whose interpreter is missing (ENOENT from spawn)', (dir) => {
        const script = join(dir, 'orphan-script');
        writeFileSync(script, '#!/nonexistent/interpreter\n');
        chmodSync(script, 0o755);
        return [script];
      }, /command ".*orphan-script" could not be started: ENOENT/],
    ];
    for (const [name, command, message] of cases) {
      it(name, async (t) => {
        const dir = tempRunDir(t);
        const h = sidecarFor(t, { command: command(dir) });
        const started = performance.now();
        assert.doesNotThrow(() => h.sidecar.start());
        await until(() => h.sidecar.state === 'failed', 'failed', 2000);
        assert.ok(performance.now() - started < 1000, 'at once');
        const status = h.sidecar.status();
        assert.match(status.lastError ?? '', message);
        assert.equal(status.restarts, 0);
        assert.deepEqual(states(h.changes), ['starting', 'failed']);
        await new Promise((resolve) => setTimeout(resolve, 100));
        assert.equal(h.sidecar.state, 'failed', 'no restart follows');
      });
    }
  });

  it('restarts a sidecar that never answers its health path within startTimeoutMs, then fails', async (t) => {
    const marker = newMarker();
    const h = sidecarFor(t, { command: [process.execPath, '-e', 'setInterval(() => {}, 1000)', marker], startTimeoutMs: 300, maxRestarts: 1 });
    const started = performance.now();
    h.sidecar.start();
    await until(() => h.sidecar.state === 'failed', 'failed', 5000);

    assert.ok(performance.now() - started >= 600, 'two starts of 300 ms each');
    assert.deepEqual(states(h.changes), ['starting', 'restarting', 'failed']);
    assert.match(h.changes[1]?.lastError ?? '', /did not answer \/health within embedded.startTimeoutMs \(300 ms\); last check: .*ECONNREFUSED/);
    assert.match(h.sidecar.status().lastError ?? '', /gave up after 1 restart/);
    await until(() => findProcesses(marker).length === 0, 'the silent processes to be ended', 2000);
  });

  it('a sidecar whose health path answers 500 from the start is never ready (embedded.env reaches it)', async (t) => {
    const flag = join(tempRunDir(t), 'unhealthy');
    writeFileSync(flag, '');
    const h = sidecarFor(t, { env: { SIDECAR_UNHEALTHY_FILE: flag }, startTimeoutMs: 300, maxRestarts: 0 });
    h.sidecar.start();
    await until(() => h.sidecar.state === 'failed', 'failed', 5000);
    assert.match(h.sidecar.status().lastError ?? '', /within embedded.startTimeoutMs \(300 ms\); last check: .*answered HTTP 500; gave up after 0 restart/);
    assert.deepEqual(states(h.changes), ['starting', 'failed']);
  });

  it('stop() ends the whole process group, grandchildren included', async (t) => {
    const marker = newMarker();
    const script = `"${process.execPath}" "${SIDECAR_FIXTURE}" {port} ${marker} & wait`;
    const h = sidecarFor(t, { command: ['sh', '-c', script] });
    h.sidecar.start();
    await ready(h.sidecar);
    const shell = h.sidecar.status().pid ?? 0;
    const grandchild = await healthPid(h.sidecar.baseUrl ?? '');
    assert.notEqual(grandchild, shell, 'the server is the shell\'s child, not the group leader');
    assert.ok(processAlive(shell) && processAlive(grandchild));

    await h.sidecar.stop();
    assert.equal(processAlive(shell), false);
    assert.equal(processAlive(grandchild), false, 'the grandchild went with the group');
    assert.deepEqual(findProcesses(marker), []);
  });

  it('stop() right after start() leaves nothing running', async (t) => {
    const h = sidecarFor(t);
    h.sidecar.start();
    await h.sidecar.stop();
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(h.sidecar.state, 'stopped');
    assert.deepEqual(findProcesses(h.marker), []);
    assert.equal(existsSync(pidFilePath(h.runDir, 'local')), false);
  });

  it('starts again after a stop', async (t) => {
    const h = sidecarFor(t);
    h.sidecar.start();
    await ready(h.sidecar);
    const first = h.sidecar.status().pid;
    await h.sidecar.stop();
    h.sidecar.start();
    await ready(h.sidecar);
    assert.notEqual(h.sidecar.status().pid, first);
    assert.equal(h.sidecar.status().restarts, 0);
  });

  it('an image with no Docker engine answering fails at once with a clear error', async (t) => {
    if ((await dockerEngineVersion()).ok) return t.skip('a Docker engine answers on this machine');
    const h = sidecarFor(t, { command: undefined, image: 'switchboard/test-sidecar:never-pulled' });
    h.sidecar.start();
    await until(() => h.sidecar.state === 'failed', 'failed', 5000);
    const status = h.sidecar.status();
    assert.match(status.lastError ?? '', /^no Docker engine answers: ./);
    assert.equal(status.restarts, 0);
    assert.equal(status.container, null);
    assert.deepEqual(states(h.changes), ['starting', 'failed']);
  });
});

describe('a gateway that goes away without stopping its sidecar', () => {
  const supervisor = join(import.meta.dirname, '..', '..', 'test', 'fixtures', 'sidecar', 'supervisor.ts');

  /** Runs the stand-in gateway until its sidecar is ready; answers the child and the sidecar's status. */
  async function supervise(t: TestContext, runDir: string, marker: string, then: 'exit' | 'wait'): Promise<{ child: ChildProcess; status: SidecarStatus }> {
    const child = spawn(process.execPath, [supervisor, runDir, marker, then], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => {
      child.kill('SIGKILL');
      for (const pid of findProcesses(marker)) process.kill(pid, 'SIGKILL');
    });
    let out = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => { out += chunk; });
    await until(() => out.includes('\n'), 'the supervised sidecar to be ready', 10_000);
    return { child, status: JSON.parse(out.split('\n')[0] ?? '') as SidecarStatus };
  }

  it('process.exit() ends the sidecar through the exit hook', async (t) => {
    const marker = newMarker();
    const { child, status } = await supervise(t, tempRunDir(t), marker, 'exit');
    // It may have exited already (it calls process.exit() right after printing): 'exit' would never come again.
    if (child.exitCode === null && child.signalCode === null) await once(child, 'exit');
    assert.ok(status.pid !== null);
    await until(() => !processAlive(status.pid ?? 0), 'the sidecar to go with the gateway', 2000);
    assert.deepEqual(findProcesses(marker), []);
  });

  it('after a SIGKILL of the gateway, reapStaleSidecars ends the sidecar at the next start', async (t) => {
    const marker = newMarker();
    const runDir = tempRunDir(t);
    const { child, status } = await supervise(t, runDir, marker, 'wait');
    child.kill('SIGKILL');
    await once(child, 'exit');
    assert.ok(processAlive(status.pid ?? 0), 'nothing could stop the sidecar: it is an orphan now');
    assert.ok(existsSync(pidFilePath(runDir, 'orphaned')));

    await reapStaleSidecars(runDir, captureLogger().logger);
    assert.equal(processAlive(status.pid ?? 0), false);
    assert.deepEqual(findProcesses(marker), []);
    assert.equal(existsSync(pidFilePath(runDir, 'orphaned')), false);
  });
});
