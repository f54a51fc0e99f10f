import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { findProcesses, newMarker } from '../../test/support/sidecar-harness.ts';
import { until } from '../../test/support/until.ts';
import { groupAlive, killProcessGroup, processAlive, readCmdline, signalGroup } from './process-group.ts';

function detached(argv: readonly string[]): number {
  const [file, ...args] = argv;
  const child = spawn(file ?? '', args, { detached: true, stdio: 'ignore' });
  return child.pid ?? 0;
}

describe('process groups', () => {
  it('killProcessGroup sends SIGKILL to a group that ignores SIGTERM, after the grace', async () => {
    // Node resets inherited signal dispositions at start-up, so the child that keeps ignoring SIGTERM is a sleep,
    // whose odd duration is the marker that finds it.
    const marker = `30.${process.pid}${Math.floor(Math.random() * 1e6)}`;
    const pid = detached(['sh', '-c', `trap "" TERM; sleep ${marker} & wait`]);
    await until(() => findProcesses(marker).length === 2, 'the group to run');
    const started = performance.now();
    await killProcessGroup(pid, 200);
    assert.ok(performance.now() - started >= 200, 'the grace was given');
    assert.deepEqual(findProcesses(marker), []);
    assert.equal(await groupAlive(pid), false);
  });

  it('killProcessGroup is quick for a group that exits on SIGTERM, and a no-op for one that is gone', async () => {
    const marker = newMarker();
    const argv = [process.execPath, '-e', 'setInterval(() => {}, 1000)', marker];
    const pid = detached(argv);
    await until(() => readCmdline(pid)?.includes(marker) === true, 'the process to run');
    assert.deepEqual(readCmdline(pid), argv);
    const started = performance.now();
    await killProcessGroup(pid, 3000);
    assert.ok(performance.now() - started < 2000);
    assert.equal(processAlive(pid), false);
    await killProcessGroup(pid, 3000);
    assert.equal(readCmdline(pid), undefined);
  });

  it('never signals pid 1, our own group or every process', () => {
    for (const pgid of [1, 0, -1, 1.5, Number.NaN]) assert.equal(signalGroup(pgid, 0), false, String(pgid));
  });
});
