// Load child for the non-streaming phase: one closed-loop autocannon run (argv[2] = JsonLoadSpec as
// JSON), summary printed as one JSON line. A separate process so the load generator can be pinned
// to the load CPU and its CPU time never lands on the harness's measurements of the target.
import autocannon from 'autocannon';
import { LatencyHistogram } from './latency-histogram.ts';
import type { JsonLoadResult, JsonLoadSpec } from './load-types.ts';

const spec = JSON.parse(process.argv[2] ?? '{}') as JsonLoadSpec;
const histogram = new LatencyHistogram();

// Hard stop in case autocannon hangs: the run is bounded by duration, this bounds it once more.
setTimeout(() => process.exit(3), (spec.durationS + 30) * 1000).unref();

const instance = autocannon(
  { url: spec.url, method: 'POST', connections: spec.connections, duration: spec.durationS, body: spec.body, headers: spec.headers, timeout: 10 },
  (err, r) => {
    if (err) {
      process.stderr.write(`autocannon: ${err.message}\n`);
      process.exit(2);
    }
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
  },
);

// Only 2xx answers count towards latency, as in autocannon itself (errors are counted separately).
instance.on('response', (_client, statusCode, _bytes, ms) => {
  if (statusCode >= 200 && statusCode < 300) histogram.record(ms);
});
