// Report lines that say what was measured on: machine, load, software versions, repository state.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';

function packageVersion(repoRoot: string, name: string): string {
  try {
    return (JSON.parse(readFileSync(join(repoRoot, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '?';
  }
}

function gitState(repoRoot: string): string {
  try {
    const git = (...args: string[]): string => execFileSync('git', ['-C', repoRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const dirty = git('status', '--porcelain', '--untracked-files=no') !== '' ? ' + uncommitted changes' : '';
    return `${git('rev-parse', '--short', 'HEAD')}${dirty}`;
  } catch {
    return 'unknown';
  }
}

export function loadAverage(): string {
  return os.loadavg().map((l) => l.toFixed(2)).join(' ');
}

export function environmentInfo(repoRoot: string, loadAtStart: string): string[] {
  const cpus = os.cpus();
  return [
    `Machine: ${cpus.length} vCPU (${cpus[0]?.model.trim() ?? 'unknown'}), ${Math.round(os.totalmem() / 2 ** 30)} GiB RAM, Linux ${os.release()}; load average at start ${loadAtStart}, at end ${loadAverage()}.`,
    `Software: Node ${process.version} (every process), undici ${packageVersion(repoRoot, 'undici')} (bare proxy), autocannon ${packageVersion(repoRoot, 'autocannon')}, fastify ${packageVersion(repoRoot, 'fastify')}; repository at ${gitState(repoRoot)}.`,
  ];
}
