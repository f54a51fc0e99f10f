// The markdown report of one run: setup, one table per phase, the targets, and what to distrust.
import { delta, num, ratio, table } from './format.ts';
import { judgeTargets } from './judge-targets.ts';
import { DEAD_PROVIDER, FALLBACK_BREAKER, FALLBACK_MODEL, FALLBACK_TARGET } from './measure-resilience.ts';
import type { JsonCell } from './measure-json.ts';
import type { ResilienceCells } from './measure-resilience.ts';
import { DECISION_BAR_US, LOADED_RULES_BAR, meanCpu } from './measure-routing.ts';
import type { RoutingCells } from './measure-routing.ts';
import type { StreamCell } from './measure-stream.ts';
import { resilienceFigures } from './resilience-figures.ts';
import type { RunData } from './run-data.ts';
import { meanLimitsCpu, MEMORY_BAR_US, REDIS_BAR_US } from './measure-limits.ts';
import type { LimitsCells } from './measure-limits.ts';
import { meanUsageCpu, POSTGRES_INGEST_BAR, RECORDING_BAR_US, type UsageCells } from './measure-usage.ts';
import { meanResponsesCpu, RESPONSES_BAR_RATIO, type ResponsesCells } from './measure-responses.ts';

function jsonRow(cell: JsonCell, all: JsonCell[]): string[] {
  const same = (name: string): JsonCell | undefined => all.find((x) => x.c === cell.c && x.target === name);
  const r = cell.window.result;
  const direct = same('direct');
  const bareCpu = same('bare-proxy')?.cpuUsPerRequest;
  const vsDirect = cell.target === 'direct' || !direct ? null : (r.p50 ?? NaN) - (direct.window.result.p50 ?? NaN);
  const vsBare = cell.target === 'direct' || !bareCpu || !cell.cpuUsPerRequest ? null : cell.cpuUsPerRequest / bareCpu;
  return [
    String(cell.c), cell.target, num(cell.requestsPerS), num(r.p50), num(r.p90), num(r.p99), delta(vsDirect),
    ratio(direct ? cell.requestsPerS / direct.requestsPerS : null), num(cell.cpuUsPerRequest), ratio(vsBare),
    num(cell.window.cpuS / r.durationS), num(cell.window.rssMb), num(cell.window.peakMb),
    String(r.non2xx), String(r.errors), num(r.bytesPerResponse), cell.window.loadBusyPct === null ? '–' : cell.window.loadBusyPct.toFixed(0), num(cell.window.otherCores),
  ];
}

function streamRow(cell: StreamCell, all: StreamCell[]): string[] {
  const r = cell.window.result;
  const direct = all.find((x) => x.c === cell.c && x.target === 'direct')?.window.result;
  const over = (a: number | null, b: number | null | undefined): string => delta(cell.target === 'direct' || a === null || b == null ? null : a - b);
  const events = r.eventsMin === r.eventsMax ? String(r.eventsMin ?? '–') : `${r.eventsMin}–${r.eventsMax}`;
  return [
    String(cell.c), cell.target, `${r.ok}/${r.errors}`, num(r.headP50), num(r.firstP50), num(r.firstP99), over(r.firstP50, direct?.firstP50),
    num(r.totalP50), num(r.totalP99), over(r.totalP50, direct?.totalP50), events, num(cell.cpuMsPerStream), num(cell.window.rssMb), num(cell.window.peakMb), num(cell.window.otherCores),
  ];
}

function resilience(r: ResilienceCells | null, head: string[], all: JsonCell[]): string[] {
  if (r === null) return ['Not measured.', ''];
  const f = resilienceFigures(r);
  const out: string[] = [];
  if (r.healthTracking.length > 0) {
    out.push(
      `Health tracking (circuit breakers and outlier ejection judged on every attempt), switchboard at c=${r.healthTracking[0]?.cell.c}, \`resilience.healthTracking\` set through \`PATCH /api/config\` before each cell, cells in this order to cancel drift: CPU ${num(f.cpuOff)} µs/req off, ${num(f.cpuOn)} on (means of two cells each): ${delta(f.cpuAdded)} µs/req.`, '',
      table(['phase', ...head], r.healthTracking.map((t) => [`health tracking ${t.healthTracking ? 'on' : 'off'}`, ...jsonRow(t.cell, all)])), '',
    );
  }
  const fb = r.fallback;
  if (fb !== null) {
    const dead = `\`${DEAD_PROVIDER.name}\` (${DEAD_PROVIDER.baseUrl}: connection refused, retries ${DEAD_PROVIDER.retries})`;
    out.push(
      `Fallback past an open breaker at c=1: model \`${FALLBACK_MODEL}\` on provider ${dead} with fallback \`${FALLBACK_TARGET}\`; breaker after ${FALLBACK_BREAKER.consecutiveFailures} failure, open ${FALLBACK_BREAKER.openMs / 60_000} min. `
        + `The first request took ${fb.firstAttempts ?? '–'} attempts; from request ${fb.primingRequests} on, answers carried \`x-switchboard-attempts: 1\` and \`x-switchboard-target: ${FALLBACK_TARGET}\` (the dead target skipped). `
        + `The plain model was measured just before, in the same configuration: p50 ${num(f.p50Fallback)} vs ${num(f.p50Plain)} ms (${delta(f.p50Added)} ms), p99 ${num(f.p99Fallback)} vs ${num(f.p99Plain)} ms.`, '',
      table(['phase', ...head], [['gpt-4o-mini', ...jsonRow(fb.plain, all)], [`${FALLBACK_MODEL} (past open breaker)`, ...jsonRow(fb.fallback, all)]]), '',
    );
  }
  if (r.problems.length > 0) out.push('Not (fully) measured:', '', ...r.problems.map((p) => `- ${p}`), '');
  return out;
}

function routing(r: RoutingCells | null, head: string[], all: JsonCell[]): string[] {
  if (r === null) return ['Not measured.', ''];
  const out: string[] = [
    `One routing decision (\`decide()\` in the bench process), 100 rules and 50 models: ${r.decisions.map((d) => `${d.label} ${num(d.usPerDecision)} µs`).join(', ')} (bar: under ${DECISION_BAR_US} µs: ${r.decisions.every((d) => d.usPerDecision < DECISION_BAR_US) ? 'PASS' : 'FAIL'}).`, '',
  ];
  const none = meanCpu(r.cells, 'none');
  const loaded = meanCpu(r.cells, 'loaded');
  const matching = meanCpu(r.cells, 'matching');
  if (r.cells.length > 0) {
    const ratio = none === null || loaded === null ? null : loaded / none - 1;
    out.push(
      `/v1 chat at c=${r.cells[0]?.cell.c}, rules set through \`PATCH /api/config\` before each cell (none, 100 loaded and none matching, none, 100 plus one matching): CPU ${num(none)} µs/req with none, ${num(loaded)} loaded (${ratio === null ? '–' : `${(ratio * 100).toFixed(1)} %`}; bar: within ${LOADED_RULES_BAR * 100} %: ${ratio === null ? 'n/a' : Math.abs(ratio) <= LOADED_RULES_BAR ? 'PASS' : 'FAIL'}), ${num(matching)} with a rule matching.`, '',
      table(['phase', ...head], r.cells.map((c) => [`rules ${c.rules}`, ...jsonRow(c.cell, all)])), '',
    );
  }
  if (r.problems.length > 0) out.push('Not (fully) measured:', '', ...r.problems.map((p) => `- ${p}`), '');
  return out;
}

function limits(l: LimitsCells | null, head: string[], all: JsonCell[]): string[] {
  if (l === null) return ['Not measured.', ''];
  const out: string[] = [];
  const d = l.decision;
  if (d !== null) {
    const verdict = (v: number, bar: number): string => `bar: under ${bar} µs: ${v < bar ? 'PASS' : 'FAIL'}`;
    out.push(`The decision alone (the bench process; ${d.checks} checks: tier, key and workspace windows, tokens per minute, concurrency, a daily budget; made, admitted and settled as the gateway does): memory ${num(d.memoryUs)} µs per request (${verdict(d.memoryUs, MEMORY_BAR_US)})${d.redisCpuUs === null ? '; Redis not measured' : `; Redis ${num(d.redisCpuUs)} µs of this process's CPU per request with ${d.inFlight} in flight, ${num(d.redisCallsPerRequest ?? NaN)} script calls per request (${verdict(d.redisCpuUs, REDIS_BAR_US)})`}. The bars are judged on these figures; the cells below show what a whole request adds, within the noise of two cells.`, '');
  }
  for (const store of ['memory', 'redis'] as const) {
    const off = meanLimitsCpu(l.cells, store, 'off');
    const on = meanLimitsCpu(l.cells, store, 'on');
    if (off === null || on === null) continue;
    const added = on - off;
    out.push(`${store === 'memory' ? 'Memory limiter (the main instance)' : `Redis limiter (an instance of its own with REDIS_URL, its redis-server on the load generator's CPU${l.scriptsPerRequest === null ? '' : `; ${num(l.scriptsPerRequest)} script calls per request one after another, each carrying the request's admission and the settlement of the one before`})`}: CPU ${num(off)} µs/req with limits off, ${num(on)} on: ${added >= 0 ? '+' : ''}${num(added)} µs/req, headers included.`, '');
  }
  if (l.cells.length > 0) out.push(table(['phase', ...head], l.cells.map((c) => [`${c.store} limits ${c.limits}`, ...jsonRow(c.cell, all)])), '');
  if (l.problems.length > 0) out.push('Not (fully) measured:', '', ...l.problems.map((p) => `- ${p}`), '');
  return out;
}

function usage(u: UsageCells | null, head: string[], all: JsonCell[]): string[] {
  if (u === null) return ['Not measured.', ''];
  const out: string[] = [];
  const on = meanUsageCpu(u.cells, 'on');
  const off = meanUsageCpu(u.cells, 'off');
  const bare = all.find((x) => x.c === u.cells[0]?.cell.c && x.target === 'bare-proxy')?.cpuUsPerRequest ?? null;
  if (on !== null && off !== null) {
    out.push(`/v1 chat at c=${u.cells[0]?.cell.c}: CPU ${num(on)} µs/req with the journal on (the main instance, the default), ${num(off)} with \`usage.journal.enabled: false\` (an instance of its own): the journal adds ${on - off >= 0 ? '+' : ''}${num(on - off)} µs/req${bare === null ? '' : `; ${ratio(on / bare)} the bare proxy's CPU per request with the journal on`}.`, '');
    out.push(table(['phase', ...head], u.cells.map((c) => [`journal ${c.journal}`, ...jsonRow(c.cell, all)])), '');
  }
  const f = u.figures;
  if (f !== null) {
    const verdict = (ok: boolean): string => (ok ? 'PASS' : 'FAIL');
    out.push(
      `The pipeline alone (the bench process, no gateway running; ${f.requestsPerS} requests a second in turns of 2 ms, each making its attempt and request records through the ledger, the pipeline, the journal and the SQLite store in batches of 500; CPU with recording minus CPU without):`, '',
      `- recording: ${num(f.recordingUsEmpty)} µs per request with the store empty${f.recordingUsFilled === null ? '' : `, ${num(f.recordingUsFilled)} with ${f.filledRows.toLocaleString('en')} records already stored`} (bar: under ${RECORDING_BAR_US} µs: ${verdict(f.recordingUsEmpty < RECORDING_BAR_US)}; this loop runs cold between turns and costs more than the gateway cells above show);`,
      `- journal append and write, 500,000 records as fast as they come: ${Math.round(f.journalRecordsPerS).toLocaleString('en')} records/s, ${num(f.journalMbPerS)} MB/s, ${num(f.journalCpuUsPerRecord)} µs of CPU per record;`,
      `- PostgreSQL ingest through the store (100,000 records, batches of 1,000, one after another): ${f.postgresRecordsPerS === null ? 'not measured' : `${Math.round(f.postgresRecordsPerS).toLocaleString('en')} records/s (bar: at least ${POSTGRES_INGEST_BAR.toLocaleString('en')}: ${verdict(f.postgresRecordsPerS >= POSTGRES_INGEST_BAR)})`}.`, '',
    );
  }
  if (u.problems.length > 0) out.push('Not (fully) measured:', '', ...u.problems.map((p) => `- ${p}`), '');
  return out;
}

function responses(r: ResponsesCells | null, head: string[], all: JsonCell[]): string[] {
  if (r === null) return ['Not measured.', ''];
  const out: string[] = [];
  const chat = meanResponsesCpu(r.cells, 'chat');
  const translated = meanResponsesCpu(r.cells, 'responses');
  const stored = meanResponsesCpu(r.cells, 'responses (store)');
  if (chat !== null && translated !== null) {
    const verdict = translated / chat <= RESPONSES_BAR_RATIO ? 'PASS' : 'FAIL';
    out.push(`An instance whose upstream (the mock) is an OpenAI-compatible vendor, c=${r.cells[0]?.cell.c}, interleaved: POST /v1/responses translated to a chat completion and back costs ${num(translated)} µs/req of CPU with \`store: false\` against ${num(chat)} for the same call through /v1/chat/completions: ${ratio(translated / chat)} (bar: at most ${ratio(RESPONSES_BAR_RATIO)}: ${verdict})${stored === null ? '' : `; with \`store: true\` (the API's default: each response kept in SQLite for previous_response_id) ${num(stored)} µs/req, ${ratio(stored / chat)}`}.`, '');
    out.push(table(['phase', ...head], r.cells.map((c) => [c.kind, ...jsonRow(c.cell, all)])), '');
  }
  if (r.problems.length > 0) out.push('Not (fully) measured:', '', ...r.problems.map((p) => `- ${p}`), '');
  return out;
}

function setup(d: RunData): string[] {
  const c = d.config;
  const sb = d.switchboard.available ? 'measured (auth, usage recording and metrics on)' : `**not available** (${(d.switchboard.reason ?? '').split('\n')[0]})`;
  return [
    ...d.environment.map((line) => `${line}  `),
    `Pinning: ${d.pinning.note}.  `,
    `Load: autocannon (1 process, closed loop) for ${c.durationS} s per cell after ${c.warmupS} s of warm-up; cells interleaved (for each concurrency, every target in turn)${c.quick ? '; **BENCH_QUICK=1: smoke-test figures, not for comparison**' : ''}.  `,
    `Streaming: ${c.streamLevels.map((l) => `c=${l}: ${c.streams(l)} streams`).join(', ')} after ${c.streamLevels.map((l) => c.streamWarmup(l)).join('/')} warm-up streams.  `,
    `Switchboard: ${sb}. Whole run: ${Math.round(d.wallS)} s.`,
  ];
}

/** The Switchboard-only cells of the later phases: they spend the same retry budget and suffer the same noise. */
function phaseCells(d: RunData): JsonCell[] {
  const swap = d.swapCell === null ? [] : [d.swapCell.control, d.swapCell.cell];
  const r = d.resilience;
  const resilienceCells = r === null ? [] : [...r.healthTracking.map((t) => t.cell), ...(r.fallback === null ? [] : [r.fallback.plain, r.fallback.fallback])];
  return [...swap, ...resilienceCells, ...(d.routing?.cells.map((c) => c.cell) ?? []), ...(d.limits?.cells.map((c) => c.cell) ?? []), ...(d.usage?.cells.map((c) => c.cell) ?? []), ...(d.responses?.cells.map((c) => c.cell) ?? [])];
}

function notes(d: RunData): string[] {
  const out = [
    '- `direct` = load generator straight to the mock upstream; its CPU and memory columns are the mock\'s own, i.e. the cost of the answer itself.',
    '- CPU µs/req and CPU ms/stream are CPU time (utime+stime from /proc) of the process under test divided by completed requests: the steadiest figure on a shared machine. Target CPU (cores) = that CPU time / wall time; 1.00 = saturated.',
    '- At c=1, Δp50 is the latency a hop adds to one request; at c=64 a saturated target has latency ≈ c / throughput, so Δ there restates the throughput gap.',
    '- load CPU busy % near 100: the load side (autocannon + mock) was the limit, not the target. other CPU above ~0.1 core: another tenant was busy, distrust that row.',
    '- Column meanings and method: docs/benchmarks.md.',
  ];
  if (d.quietWaitedS >= 1) out.push(`- The harness waited ${Math.round(d.quietWaitedS)} s in total for other processes to go quiet before cells.`);
  const measured = [...d.jsonCells, ...d.streamCells, ...phaseCells(d)];
  const retried = measured.filter((x) => x.window.attempts > 1).length;
  if (retried > 0) out.push(`- ${retried} cell(s) were measured twice because other processes were busy; the cleaner attempt is shown.`);
  const noisy = measured.filter((x) => x.window.otherCores > d.config.noisyCores).length;
  if (noisy > 0) out.push(`- ${noisy} cell(s) kept more than ${d.config.noisyCores} core of foreign CPU use (retry budget: ${d.config.maxRetries} cells and ${d.config.quietWaitS} s of waiting for quiet per run): read those rows with care, or run again on a quieter machine.`);
  for (const note of d.switchboard.notes) out.push(`- Switchboard: ${note}`);
  if (d.switchboard.reason) out.push('', 'Switchboard was not (fully) measured:', '', '```', d.switchboard.reason.trim(), '```');
  return out;
}

export function renderReport(d: RunData): string {
  const verdicts = judgeTargets(d);
  const count = (s: string): number => verdicts.filter((v) => v.status === s).length;
  const jsonHead = ['c', 'target', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'Δp50 vs direct', '÷ direct req/s', 'CPU µs/req', '÷ bare CPU', 'target CPU (cores)', 'RSS MB', 'peak RSS MB', 'non-2xx', 'errors', 'B/resp', 'load CPU busy %', 'other CPU (cores)'];
  const streamHead = ['c', 'target', 'ok/errors', 'headers p50', 'first data p50', 'first data p99', 'Δfirst p50 vs direct', 'total p50', 'total p99', 'Δtotal p50 vs direct', 'events', 'CPU ms/stream', 'RSS MB', 'peak RSS MB', 'other CPU (cores)'];
  const idle = Object.entries(d.idleRssMb).map(([name, mb]) => `${name} ${num(mb)}`).join(', ');
  return [
    `# Switchboard benchmark — ${d.stamp}`, '', ...setup(d), '',
    '## Non-streaming: POST /v1/chat/completions (fixed JSON answer from the mock)', '',
    table(jsonHead, d.jsonCells.map((cell) => jsonRow(cell, d.jsonCells))), '',
    `Idle RSS after start-up (MB): ${idle}.`, '',
    '## Streaming: 50 SSE chunks 10 ms apart, first at once', '',
    'Times in ms from sending the request: headers received; first bytes of the first `data:` event; end of stream (ideal ≈ 49 × 10 = 490). events = `data:` events incl. `[DONE]` (51 as sent by the mock).', '',
    table(streamHead, d.streamCells.map((cell) => streamRow(cell, d.streamCells))), '',
    '## Configuration swaps under load', '',
    d.swapCell === null ? 'Not measured.' : `Switchboard at c=${d.swapCell.cell.c} while the harness changed its configuration through \`PATCH /api/config\` every ${d.swapCell.intervalMs} ms: ${d.swapCell.swaps} versions swapped in under load.`, '',
    d.swapCell === null ? '' : table(['phase', ...jsonHead], [['without swaps', ...jsonRow(d.swapCell.control, d.jsonCells)], ['swap every 100 ms', ...jsonRow(d.swapCell.cell, d.jsonCells)]]), '',
    '## Resilience', '',
    ...resilience(d.resilience, jsonHead, d.jsonCells),
    '## Routing', '',
    ...routing(d.routing, jsonHead, d.jsonCells),
    '## Rate limits and budgets', '',
    'A workspace\'s key with every limit kind and a daily budget set far above the load (each checked and taken, none refusing), cells with limits off and on, in the order off, on, off, on.', '',
    ...limits(d.limits, jsonHead, d.jsonCells),
    '## Usage pipeline', '',
    ...usage(d.usage, jsonHead, d.jsonCells),
    '## Responses API', '',
    ...responses(d.responses, jsonHead, d.jsonCells),
    '## Targets', '',
    table(['check', 'measured', 'target', 'result', 'note'], verdicts.map((v) => [v.check, v.measured, v.limit, v.status, v.note])), '',
    `Result: ${count('PASS')} PASS, ${count('FAIL')} FAIL, ${count('n/a')} n/a.`, '',
    '## Notes', '', ...notes(d), '',
  ].join('\n');
}
