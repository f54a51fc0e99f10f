// `npm run bench`: Switchboard's cost per chat completion against a bare undici proxy and against
// calling the mock upstream directly, all measured side by side in one run on this machine, because
// absolute figures on a shared VM drift and only same-run ratios mean something (DESIGN.md §9).
// Prints a markdown report and writes it to bench/results/<stamp>.md. Exits 0 when a target FAILs
// (a measurement, not a test); non-zero only when the harness itself broke.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readConfig } from './bench-config.ts';
import { environmentInfo, loadAverage } from './environment-info.ts';
import { num } from './format.ts';
import { installCleanup, stopAllChildren, wasInterrupted } from './managed-child.ts';
import { measureJsonCell } from './measure-json.ts';
import { measureDecision, type DecisionFigures } from './measure-decision.ts';
import { benchRedis, measureLimitsOn } from './measure-limits.ts';
import { measureUsage, type UsageCells } from './measure-usage.ts';
import { measureResilience } from './measure-resilience.ts';
import { measureResponses, writeResponsesConfig, type ResponsesCells } from './measure-responses.ts';
import { measureRouting } from './measure-routing.ts';
import { measureStreamCell } from './measure-stream.ts';
import { measureSwapCell } from './measure-swaps.ts';
import { detectPinning, pinSelf } from './pinning.ts';
import { treeMemoryMb } from './proc-stats.ts';
import { renderReport } from './render-report.ts';
import { startBareProxy, startMock } from './start-helpers.ts';
import { startSwitchboard } from './start-switchboard.ts';
import { switchboardChecks } from './switchboard-checks.ts';
import { streamProblem } from './wait-ready.ts';
import type { BenchConfig } from './bench-config.ts';
import type { JsonCell } from './measure-json.ts';
import type { LimitsCell } from './measure-limits.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { RunData } from './run-data.ts';
import type { SwitchboardStart } from './start-switchboard.ts';
import type { Target } from './target.ts';

const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const startedAt = performance.now();
const tempDirs: string[] = [];

interface Run {
  config: BenchConfig;
  pinning: Pinning;
  noise: NoisePolicy;
  data: RunData;
  /** targets still being measured, in measuring order */
  targets: Target[];
}

function progress(text: string): void {
  process.stderr.write(`[${String(Math.round((performance.now() - startedAt) / 1000)).padStart(3)} s] ${text}\n`);
}

function stampOf(date: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${p(date.getMonth() + 1)}-${p(date.getDate())}_${p(date.getHours())}${p(date.getMinutes())}${p(date.getSeconds())}`;
}

/** Switchboard may die while the lead is still building it: the run goes on without it. A dead
 *  mock or bare proxy means the harness broke. */
function stillUp(run: Run, target: Target): boolean {
  if (target.child.exitCode === null) return run.targets.includes(target);
  if (target.name !== 'switchboard') throw new Error(`${target.name} exited during the run (${target.child.exitCode}):\n${target.child.stderrTail()}`);
  if (run.targets.includes(target)) {
    run.data.switchboard.reason = `switchboard exited during the run (${target.child.exitCode}):\n${target.child.stderrTail(30)}`;
    run.targets = run.targets.filter((t) => t !== target);
    progress('switchboard exited; continuing without it');
  }
  return false;
}

async function jsonPhase(run: Run): Promise<void> {
  for (const c of run.config.jsonLevels) {
    for (const target of [...run.targets]) {
      if (!stillUp(run, target)) continue;
      const cell = await measureJsonCell(target, c, run.config, run.pinning, run.noise);
      if (!stillUp(run, target)) continue; // died mid-cell: its counters are gone, the cell means nothing
      run.data.jsonCells.push(cell);
      const r = cell.window.result;
      progress(`json c=${c} ${target.name}: ${num(cell.requestsPerS)} req/s, p50 ${num(r.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
    }
  }
}

async function streamPhase(run: Run): Promise<void> {
  const live = run.targets.filter((target) => stillUp(run, target));
  const problems = await Promise.all(live.map((target) => streamProblem(target.url)));
  for (const [i, target] of live.entries()) {
    const problem = problems[i] ?? null;
    if (problem === null) continue;
    if (target.name !== 'switchboard') throw new Error(`${target.name} does not stream: ${problem}`);
    run.data.switchboard.reason = `streaming not measured: ${problem}`;
    run.targets = run.targets.filter((t) => t !== target);
  }
  for (const c of run.config.streamLevels) {
    for (const target of [...run.targets]) {
      if (!stillUp(run, target)) continue;
      const cell = await measureStreamCell(target, c, run.config, run.pinning, run.noise);
      if (!stillUp(run, target)) continue;
      run.data.streamCells.push(cell);
      const r = cell.window.result;
      progress(`stream c=${c} ${target.name}: first data p50 ${num(r.firstP50)} ms, total p50 ${num(r.totalP50)} ms, ok ${r.ok}/${r.requests}`);
    }
  }
}

async function swapPhase(run: Run): Promise<void> {
  const target = run.targets.find((t) => t.name === 'switchboard');
  const c = run.config.jsonLevels.at(-1) ?? 64;
  if (target === undefined || !stillUp(run, target)) return;
  const swap = await measureSwapCell(target, c, run.config, run.pinning, run.noise);
  if (!stillUp(run, target)) return;
  run.data.swapCell = swap;
  const r = swap.cell.window.result;
  progress(`swaps c=${c} switchboard: ${swap.swaps} versions, ${num(swap.cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}, failed swaps ${swap.swapFailures}`);
}

async function resiliencePhase(run: Run): Promise<void> {
  const target = run.targets.find((t) => t.name === 'switchboard');
  const c = run.config.jsonLevels.at(-1) ?? 64;
  if (target === undefined || !stillUp(run, target)) return;
  const resilience = await measureResilience(target, c, run.config, run.pinning, run.noise, (label, cell) => {
    const r = cell.window.result;
    progress(`resilience c=${cell.c} switchboard, ${label}: p50 ${num(r.p50)} ms, p99 ${num(r.p99)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
  });
  if (!stillUp(run, target)) return;
  run.data.resilience = resilience;
  for (const problem of resilience.problems) progress(`resilience: ${problem}`);
}

async function routingPhase(run: Run): Promise<void> {
  const target = run.targets.find((t) => t.name === 'switchboard');
  const c = run.config.jsonLevels.at(-1) ?? 64;
  if (target === undefined || !stillUp(run, target)) return;
  const routing = await measureRouting(target, c, run.config, run.pinning, run.noise, (label, cell) => {
    const r = cell.window.result;
    progress(`routing c=${cell.c} switchboard, ${label}: p50 ${num(r.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
  });
  if (!stillUp(run, target)) return;
  run.data.routing = routing;
  for (const d of routing.decisions) progress(`routing: one decision, 100 rules and 50 models, ${d.label}: ${num(d.usPerDecision)} µs`);
  for (const problem of routing.problems) progress(`routing: ${problem}`);
}

async function limitsPhase(run: Run, upstreamBase: string): Promise<void> {
  const target = run.targets.find((t) => t.name === 'switchboard');
  const c = run.config.jsonLevels.at(-1) ?? 64;
  if (target === undefined || !stillUp(run, target)) return;
  const report = (label: string, cell: JsonCell): void => {
    const r = cell.window.result;
    progress(`limits c=${cell.c} switchboard, ${label}: p50 ${num(r.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
  };
  const problems: string[] = [];
  const cells: LimitsCell[] = [];
  let scriptsPerRequest: number | null = null;
  let decision: DecisionFigures | null = null;
  try {
    cells.push(...(await measureLimitsOn(target, 'memory', c, run.config, run.pinning, run.noise, report)).cells);
  } catch (err) {
    problems.push(`memory limits cells broke off: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!stillUp(run, target)) return;
  // Redis: an instance of its own (REDIS_URL is read at start), on the same CPU, while the main one idles.
  const store = await benchRedis(run.pinning);
  if (typeof store === 'string') {
    problems.push(`Redis limits not measured: ${store}`);
  } else {
    const sb = await startSwitchboard(repoRoot, upstreamBase, run.pinning, run.config.readyTimeoutMs, { REDIS_URL: store.url, SWITCHBOARD_REDIS_PREFIX: store.prefix });
    if (sb.dataDir) tempDirs.push(sb.dataDir);
    try {
      if (!sb.ok) throw new Error(sb.reason.split('\n')[0]);
      const measured = await measureLimitsOn(sb.target, 'redis', c, run.config, run.pinning, run.noise, report, store.redis);
      cells.push(...measured.cells);
      scriptsPerRequest = measured.scriptsPerRequest;
      // The gateway idles meanwhile; the decision alone, in this process, against the same redis-server.
      decision = await measureDecision(store);
    } catch (err) {
      problems.push(`Redis limits cells broke off: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      if (sb.ok) await sb.target.child.stop();
      await store.close();
    }
  }
  if (decision === null) {
    try {
      decision = await measureDecision();
    } catch (err) {
      problems.push(`the decision alone was not measured: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
  run.data.limits = { cells, scriptsPerRequest, decision, problems };
  for (const problem of problems) progress(`limits: ${problem}`);
}

/**
 * The usage pipeline: the main instance (journal on, the default) against one with `usage.journal.enabled: false`,
 * interleaved on, off, on, off at the highest concurrency; then the pipeline's own figures in this process while
 * no gateway runs (recording per request, the store empty and with 10 million records, journal throughput,
 * PostgreSQL ingest).
 */
async function usagePhase(run: Run, upstreamBase: string): Promise<void> {
  const target = run.targets.find((t) => t.name === 'switchboard');
  const c = run.config.jsonLevels.at(-1) ?? 64;
  if (target === undefined || !stillUp(run, target)) return;
  const problems: string[] = [];
  const cells: Array<{ journal: 'on' | 'off'; cell: JsonCell }> = [];
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-usage-'));
  tempDirs.push(dir);
  const file = join(dir, 'journal-off.yaml');
  writeFileSync(file, 'usage:\n  journal:\n    enabled: false\n');
  const off = await startSwitchboard(repoRoot, upstreamBase, run.pinning, run.config.readyTimeoutMs, { SWITCHBOARD_CONFIG: file });
  if (off.dataDir) tempDirs.push(off.dataDir);
  try {
    if (!off.ok) throw new Error(off.reason.split('\n')[0]);
    for (const journal of ['on', 'off', 'on', 'off'] as const) {
      const cell = await measureJsonCell(journal === 'on' ? target : off.target, c, run.config, run.pinning, run.noise);
      cells.push({ journal, cell });
      progress(`usage c=${c} switchboard, journal ${journal}: p50 ${num(cell.window.result.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req`);
    }
  } catch (err) {
    problems.push(`journal on/off cells broke off: ${err instanceof Error ? err.message : String(err)}`);
  } finally {
    if (off.ok) await off.target.child.stop();
  }
  let figures: UsageCells['figures'] = null;
  try {
    figures = await measureUsage(progress);
    problems.push(...figures.problems);
  } catch (err) {
    problems.push(`the pipeline's own figures were not measured: ${err instanceof Error ? err.message : String(err)}`);
  }
  run.data.usage = { cells, figures, problems };
}

/** The Responses API translated to chat (the mock as an OpenAI-compatible vendor) against the chat call, on an instance of its own. */
async function responsesPhase(run: Run, upstreamBase: string): Promise<void> {
  if (!run.targets.some((t) => t.name === 'switchboard')) return;
  const c = run.config.jsonLevels.at(-1) ?? 64;
  const dir = mkdtempSync(join(tmpdir(), 'switchboard-bench-responses-'));
  tempDirs.push(dir);
  const sb = await startSwitchboard(repoRoot, upstreamBase, run.pinning, run.config.readyTimeoutMs, { SWITCHBOARD_CONFIG: writeResponsesConfig(dir, upstreamBase) });
  if (sb.dataDir) tempDirs.push(sb.dataDir);
  let result: ResponsesCells = { cells: [], problems: [] };
  try {
    if (!sb.ok) throw new Error(sb.reason.split('\n')[0]);
    result = await measureResponses(sb.target, c, run.config, run.pinning, run.noise, (kind, cell) => {
      const r = cell.window.result;
      progress(`responses c=${c} switchboard, ${kind}: p50 ${num(r.p50)} ms, ${num(cell.cpuUsPerRequest)} µs/req, non-2xx ${r.non2xx}, errors ${r.errors}`);
    });
  } catch (err) {
    result = { cells: result.cells, problems: [`responses cells broke off: ${err instanceof Error ? err.message : String(err)}`] };
  } finally {
    if (sb.ok) await sb.target.child.stop();
  }
  run.data.responses = result;
}

async function startAll(config: BenchConfig, pinning: Pinning): Promise<{ helpers: Target[]; sb: SwitchboardStart; upstreamBase: string }> {
  const mock = await startMock(pinning, config.readyTimeoutMs);
  const upstreamBase = mock.url.replace(/\/chat\/completions$/, '');
  const bare = await startBareProxy(upstreamBase, pinning, config.readyTimeoutMs);
  progress(`mock upstream at ${upstreamBase}, bare proxy at ${bare.url}; starting switchboard`);
  const sb = await startSwitchboard(repoRoot, upstreamBase, pinning, config.readyTimeoutMs);
  if (sb.dataDir) tempDirs.push(sb.dataDir);
  progress(sb.ok ? `switchboard ready at ${sb.target.url}` : `switchboard: not available (${sb.reason.split('\n')[0]})`);
  return { helpers: [mock, bare], sb, upstreamBase };
}

function writeReport(data: RunData): void {
  const report = renderReport(data);
  const dir = fileURLToPath(new URL('results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  writeFileSync(`${dir}${data.stamp}.md`, report);
  process.stdout.write(report);
  progress(`report written to bench/results/${data.stamp}.md`);
}

async function main(): Promise<void> {
  const config = readConfig();
  const pinning = detectPinning();
  pinSelf(pinning);
  installCleanup(() => tempDirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));
  const loadAtStart = loadAverage();
  progress(`pinning: ${pinning.note}`);
  const { helpers, sb, upstreamBase } = await startAll(config, pinning);
  const targets = sb.ok ? [...helpers, sb.target] : helpers;
  const data: RunData = {
    stamp: stampOf(new Date()), config, pinning, environment: [], jsonCells: [], streamCells: [], swapCell: null, resilience: null, routing: null, limits: null, usage: null, responses: null, wallS: 0, quietWaitedS: 0,
    idleRssMb: Object.fromEntries(targets.map((t) => [t.name, treeMemoryMb(t.child.pid).rss])),
    switchboard: { available: sb.ok, reason: sb.ok ? null : sb.reason, notes: [] },
  };
  const run: Run = { config, pinning, noise: { maxCores: config.noisyCores, retriesLeft: config.maxRetries, quietWaitS: { left: config.quietWaitS } }, data, targets };
  await jsonPhase(run);
  await streamPhase(run);
  await swapPhase(run);
  await resiliencePhase(run);
  await routingPhase(run);
  await limitsPhase(run, upstreamBase);
  await usagePhase(run, upstreamBase);
  await responsesPhase(run, upstreamBase);
  if (sb.ok && sb.target.child.exitCode === null) data.switchboard.notes = await switchboardChecks(sb.metricsUrl, sb.dataDir);
  await stopAllChildren();
  data.environment = environmentInfo(repoRoot, loadAtStart);
  data.wallS = (performance.now() - startedAt) / 1000;
  data.quietWaitedS = config.quietWaitS - run.noise.quietWaitS.left;
  writeReport(data);
}

main().catch(async (err: unknown) => {
  if (wasInterrupted()) return; // the signal handler is stopping the children and will exit 130
  process.stderr.write(`\nbench: harness failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  await stopAllChildren();
  process.exitCode = 1;
});
