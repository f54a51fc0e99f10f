import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { captureLogger, findProcesses, newMarker, tempRunDir } from '../../test/support/sidecar-harness.ts';
import { until } from '../../test/support/until.ts';
import { parsePidRecord, pidFilePath, readPidFiles, removePidFile, writePidFile, type PidRecord } from './pid-file.ts';
import { processAlive, readCmdline } from './process-group.ts';
import { reapStaleSidecars } from './reap-stale-sidecars.ts';

/** A detached process group like a sidecar's, left running as a killed gateway would leave it; killed at the end regardless. */
function strayGroup(t: TestContext, argv: readonly string[]): number {
  const [file, ...args] = argv;
  const child = spawn(file ?? '', args, { detached: true, stdio: 'ignore' });
  child.unref();
  const pid = child.pid ?? 0;
  t.after(() => {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone, as it should be
    }
  });
  return pid;
}

function record(provider: string, pid: number, argv: readonly string[]): PidRecord {
  return { provider, pid, container: null, argv, startedAt: new Date().toISOString() };
}

describe('pid files', () => {
  it('round-trip, and a clean stop removes only its own record', async (t) => {
    const dir = join(tempRunDir(t), 'sidecars'); // created on first write
    const old = record('local', 4242, ['node', 'old']);
    await writePidFile(dir, old);
    assert.deepEqual((await readPidFiles(dir)).map((f) => f.record), [old]);

    const newer = { ...record('local', 4343, ['node', 'new']), startedAt: '2030-01-01T00:00:00.000Z' };
    await writePidFile(dir, newer);
    await removePidFile(dir, old);
    assert.ok(existsSync(pidFilePath(dir, 'local')), 'the newer sidecar\'s record stays');
    await removePidFile(dir, newer);
    assert.equal(existsSync(pidFilePath(dir, 'local')), false);
    assert.deepEqual(await readPidFiles(join(dir, 'missing')), []);
  });

  it('refuse records that are not ours or could signal the wrong group', () => {
    const good = { provider: 'p', pid: 1234, container: null, argv: ['a'], startedAt: 'now' };
    assert.deepEqual(parsePidRecord(JSON.stringify(good)), good);
    for (const bad of [
      'not json', 'null', '[]',
      JSON.stringify({ ...good, pid: 1 }), JSON.stringify({ ...good, pid: 0 }), JSON.stringify({ ...good, pid: -5 }),
      JSON.stringify({ ...good, pid: null }), JSON.stringify({ ...good, container: 'c' }),
      JSON.stringify({ ...good, argv: [1] }), JSON.stringify({ ...good, provider: undefined }),
    ]) assert.equal(parsePidRecord(bad), undefined, bad);
  });
});

describe('reapStaleSidecars', () => {
  it('kills a recorded process group whose leader still runs the recorded argv, grandchildren included', async (t) => {
    const runDir = tempRunDir(t);
    const marker = newMarker();
    const argv = ['sh', '-c', `"${process.execPath}" -e "setInterval(() => {}, 1000)" ${marker} & wait`];
    const pid = strayGroup(t, argv);
    await until(() => findProcesses(marker).length === 2, 'the shell and its node child');
    assert.deepEqual(readCmdline(pid), argv);
    await writePidFile(runDir, record('stale', pid, argv));

    const { logger, lines } = captureLogger();
    await reapStaleSidecars(runDir, logger);
    assert.deepEqual(findProcesses(marker), [], 'leader and grandchild are gone');
    assert.equal(existsSync(pidFilePath(runDir, 'stale')), false);
    assert.ok(lines.some((l) => l.msg === 'stopped a sidecar left running by an earlier run'));
  });

  it('does not kill a process whose command line differs from the record (a recycled pid)', async (t) => {
    const runDir = tempRunDir(t);
    const marker = newMarker();
    const pid = strayGroup(t, [process.execPath, '-e', 'setInterval(() => {}, 1000)', marker]);
    await until(() => readCmdline(pid)?.includes(marker) === true, 'the process to run');
    await writePidFile(runDir, record('recycled', pid, [process.execPath, 'sidecar.js', '4000']));

    const { logger, lines } = captureLogger();
    await reapStaleSidecars(runDir, logger);
    assert.ok(processAlive(pid), 'another program\'s process is left alone');
    assert.equal(existsSync(pidFilePath(runDir, 'recycled')), false, 'the stale record is removed');
    assert.ok(lines.some((l) => /now runs another program/.test(l.msg)));
  });

  it('removes records of processes that are gone, unreadable files and containers, and never rejects', async (t) => {
    const runDir = tempRunDir(t);
    const done = spawn(process.execPath, ['-e', '0'], { stdio: 'ignore' });
    await new Promise((resolve) => done.once('exit', resolve));
    await writePidFile(runDir, record('gone', done.pid ?? 0, [process.execPath, '-e', '0']));
    writeFileSync(join(runDir, 'garbage.pid'), '{ not json');
    await writePidFile(runDir, { provider: 'boxed', pid: null, container: 'switchboard-boxed-00000000', argv: ['docker', 'run'], startedAt: 'then' });
    writeFileSync(join(runDir, 'notes.txt'), 'not a pid file');

    const { logger } = captureLogger();
    await reapStaleSidecars(runDir, logger);
    assert.deepEqual((await readPidFiles(runDir)).map((f) => f.path), []);
    assert.ok(existsSync(join(runDir, 'notes.txt')), 'other files are not touched');
    await reapStaleSidecars(join(runDir, 'missing'), logger);
  });
});
