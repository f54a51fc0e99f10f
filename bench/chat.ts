// `npm run bench`: Switchboard's cost per chat completion against a bare undici proxy and against
// calling the mock upstream directly, all measured side by side in one run on this machine, because
// absolute figures on a shared VM drift and only same-run ratios mean something (DESIGN.md §9).
// Prints a markdown report and writes it to bench/results/<stamp>.md. Exits 0 when a target FAILs
// (a measurement, not a test); non-zero only when the harness itself broke.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from './bench-config.ts';
import { environmentInfo, loadAverage } from './environment-info.ts';
import { num } from './format.ts';
import { installCleanup, stopAllChildren, wasInterrupted } from './managed-child.ts';
import { measureJsonCell } from './measure-json.ts';
import { measureStreamCell } from './measure-stream.ts';
import { detectPinning, pinSelf } from './pinning.ts';
import { treeMemoryMb } from './proc-stats.ts';
import { renderReport } from './render-report.ts';
import { startBareProxy, startMock } from './start-helpers.ts';
import { startSwitchboard } from './start-switchboard.ts';
import { switchboardChecks } from './switchboard-checks.ts';
import { streamProblem } from './wait-ready.ts';
import type { JsonCell } from './measure-json.ts';
import type { StreamCell } from './measure-stream.ts';
import type { RunData } from './run-data.ts';
import type { Target } from './target.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const startedAt = performance.now();
const tempDirs: string[] = [];

function progress(text: string): void {
  process.stderr.write(`[${String(Math.round((performance.now() - startedAt) / 1000)).padStart(3)} s] ${text}\n`);
}

function stampOf(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Switchboard may die under load while the lead is still building it; the run goes on without it. */
function dropDeadGateway(targets: Target[], data: RunData): Target[] {
  const sb = targets.find((t) => t.name === 'switchboard');
  if (!sb || sb.child.exitCode === null) return targets;
  data.switchboard.reason = `switchboard exited during the run (${sb.child.exitCode}):\n${sb.child.stderrTail()}`;
  progress('switchboard exited; continuing without it');
  return targets.filter((t) => t !== sb);
}

async function main(): Promise<void> {
  const config = readConfig();
  const pinning = detectPinning();
  pinSelf(pinning);
  installCleanup(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const loadAtStart = loadAverage();
  const stamp = stampOf(new Date());
  progress(`pinning: ${pinning.note}`);

  const mock = await startMock(pinning, config.readyTimeoutMs);
  const upstreamBase = mock.url.replace(/\/chat\/completions$/, '');
  const bare = await startBareProxy(upstreamBase, pinning, config.readyTimeoutMs);
  progress(`mock upstream at ${upstreamBase}, bare proxy at ${bare.url}; starting switchboard`);
  const sb = await startSwitchboard(repoRoot, upstreamBase, pinning, config.readyTimeoutMs);
  if (sb.dataDir) tempDirs.push(sb.dataDir);
  progress(sb.ok ? `switchboard ready at ${sb.target.url}` : `switchboard: not available (${sb.reason.split('\n')[0]})`);

  const data: RunData = {
    stamp, config, pinning, environment: [], idleRssMb: {}, jsonCells: [], streamCells: [], wallS: 0,
    switchboard: { available: sb.ok, reason: sb.ok ? null : sb.reason, notes: [] },
  };
  const noise = { maxCores: config.noisyCores, retriesLeft: config.maxRetries };
  let targets: Target[] = sb.ok ? [mock, bare, sb.target] : [mock, bare];
  for (const t of targets) data.idleRssMb[t.name] = treeMemoryMb(t.child.pid).rss;

  for (const c of config.jsonLevels) {
    for (const target of targets) {
      targets = dropDeadGateway(targets, data);
      if (!targets.includes(target)) continue;
      const cell: JsonCell = await measureJsonCell(target, c, config, pinning, noise);
      data.jsonCells.push(cell);
      const r = cell.window.result;
      progress(`json c=${c} ${target.name}: ${num(cell.requestsPerS)} req/s, p50 ${num(r.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
    }
  }

  targets = dropDeadGateway(targets, data);
  for (const t of targets) {
    const problem = await streamProblem(t.url);
    if (problem === null) continue;
    if (t.name !== 'switchboard') throw new Error(`${t.name} does not stream: ${problem}`);
    data.switchboard.reason = `streaming not measured: ${problem}`;
    targets = targets.filter((x) => x !== t);
  }
  for (const c of config.streamLevels) {
    for (const target of targets) {
      targets = dropDeadGateway(targets, data);
      if (!targets.includes(target)) continue;
      const cell: StreamCell = await measureStreamCell(target, c, config, pinning, noise);
      data.streamCells.push(cell);
      const r = cell.window.result;
      progress(`stream c=${c} ${target.name}: first data p50 ${num(r.firstP50)} ms, total p50 ${num(r.totalP50)} ms, ok ${r.ok}/${r.requests}`);
    }
  }

  if (sb.ok && sb.target.child.exitCode === null) data.switchboard.notes = await switchboardChecks(sb.metricsUrl, sb.dataDir);
  await stopAllChildren();
  data.environment = environmentInfo(repoRoot, loadAtStart);
  data.wallS = (performance.now() - startedAt) / 1000;

  const report = renderReport(data);
  const dir = fileURLToPath(new URL('results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${stamp}.md`, report);
  process.stdout.write(report);
  progress(`report written to bench/results/${stamp}.md`);
}

main().catch(async (err: unknown) => {
  if (wasInterrupted()) return; // the signal handler is stopping the children and will exit 130
  process.stderr.write(`\nbench: harness failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAllChildren();
  process.exitCode = 1;
});
