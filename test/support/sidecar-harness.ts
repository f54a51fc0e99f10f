/**
 * Helpers for the embedded mode's tests: the fixture sidecar's argv, a fresh run directory per test, a logger
 * whose lines the test can read, plain HTTP calls without keep-alive, and a /proc scan that finds every process
 * whose command line holds a marker, so a test can prove that nothing it started outlives it.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import type { TestContext } from 'node:test';
import pino from 'pino';
import type { Logger } from 'pino';
import { embeddedModeSchema, type EmbeddedModeConfig } from '../../src/config/resilience-schemas.ts';

export const SIDECAR_FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'sidecar', 'sidecar-server.ts');

/** The fixture sidecar's argv; `marker` is an extra (ignored) argument that findProcesses can look for. */
export function fixtureCommand(marker: string): string[] {
  return [process.execPath, SIDECAR_FIXTURE, '{port}', marker];
}

/** A unique marker for one test's processes. */
export function newMarker(): string {
  return `sidecar-test-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Embedded settings with the schema's defaults filled in, as the configuration loader would give them. */
export function embeddedSpec(input: Record<string, unknown>): EmbeddedModeConfig {
  return embeddedModeSchema.parse(input);
}

/** A run directory under the OS temp dir, removed when the test ends. */
export function tempRunDir(t: TestContext): string {
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-sidecars-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** A debug-level pino logger that keeps its lines in memory. */
export function captureLogger(): { logger: Logger; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const text of chunk.toString('utf8').split('\n')) if (text !== '') lines.push(JSON.parse(text) as LogLine);
      callback();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}

export interface HttpAnswer {
  readonly status: number;
  readonly body: string;
}

/** One HTTP call on a fresh connection (no keep-alive sockets left behind). */
export function http(url: string, method = 'GET', body?: string): Promise<HttpAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, agent: false, headers: body === undefined ? {} : { 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Pids of live processes (zombies excluded) whose command line contains `marker`. */
export function findProcesses(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (cmdline.includes(marker) && state !== 'Z') found.push(Number(entry));
    } catch {
      // gone while we looked
    }
  }
  return found;
}
