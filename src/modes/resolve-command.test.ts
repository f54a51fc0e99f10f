import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { resolveCommand } from './resolve-command.ts';

describe('resolveCommand', () => {
  it('finds executables on PATH or by path, and nothing else', (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'switchboard-cmd-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'tool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'tool'), 0o755);
    writeFileSync(join(dir, 'data'), 'not executable');

    assert.equal(resolveCommand('tool', `/nonexistent:${dir}`), join(dir, 'tool'));
    assert.equal(resolveCommand('data', dir), undefined, 'not executable');
    assert.equal(resolveCommand('tool', undefined), undefined, 'no PATH');
    assert.equal(resolveCommand(join(dir, 'tool'), ''), join(dir, 'tool'));
    assert.equal(resolveCommand('./tool', '', dir), join(dir, 'tool'));
    assert.equal(resolveCommand(dir, ''), undefined, 'a directory is not a command');
  });
});
