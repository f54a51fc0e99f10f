// Load child for the non-streaming phase (argv[2] = JsonLoadSpec as JSON): a closed-loop autocannon
// warm-up, the warm/go handshake (await-go.ts), then the measured autocannon run; its summary is
// printed as one JSON line. A separate process so the load generator can be pinned to the load CPU
// and its CPU time never lands on the harness's measurements of the target.
import autocannon from 'autocannon';
import { announceWarmAndAwaitGo, exitWithHarness } from './await-go.ts';
import { LatencyHistogram } from './latency-histogram.ts';
import type { AutocannonResult } from 'autocannon';
import type { JsonLoadResult, JsonLoadSpec } from './load-types.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as JsonLoadSpec;
exitWithHarness(spec.warmupS + spec.durationS + 60);

function run(durationS: number, histogram: LatencyHistogram | null): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    const options = { url: spec.url, method: 'POST', connections: spec.connections, duration: durationS, body: spec.body, headers: spec.headers, timeout: 10 };
    const instance = autocannon(options, (err, result) => (err ? reject(err) : resolve(result)));
    // Only 2xx answers count towards latency, as in autocannon itself (errors are counted separately).
    instance.on('response', (_client, status, _bytes, ms) => {
      if (histogram && status >= 200 && status < 300) histogram.record(ms);
    });
  });
}

await run(spec.warmupS, null);
await announceWarmAndAwaitGo();
const histogram = new LatencyHistogram();
const r = await run(spec.durationS, histogram);
const result: JsonLoadResult = {
  durationS: r.duration,
  responses: r.requests.total,
  ok: r['2xx'],
  non2xx: r.non2xx,
  errors: r.errors,
  timeouts: r.timeouts,
  bytesPerResponse: r['2xx'] > 0 ? r.throughput.total / r['2xx'] : null,
  p50: histogram.percentile(50),
  p90: histogram.percentile(90),
  p99: histogram.percentile(99),
};
process.stdout.write(`${JSON.stringify(result)}\n`);
