// Load child for the streaming phase (argv[2] = StreamLoadSpec as JSON): `warmup` streams, the
// warm/go handshake (await-go.ts), then `requests` streamed chat completions, all over the same
// `concurrency` keep-alive connections (a fresh client would open c connections inside the measured
// window and inflate first-byte times), bounded by count and by `maxSeconds` per phase.
// Times per stream: response headers, first bytes of the first `data:` event, end of stream.
import http from 'node:http';
import { announceWarmAndAwaitGo, exitWithHarness } from './await-go.ts';
import type { StreamLoadResult, StreamLoadSpec } from './load-types.ts';

interface StreamSample {
  status: number;
  headMs: number;
  firstMs: number | null;
  totalMs: number;
  events: number;
  error?: string;
}

const spec = JSON.parse(process.argv[2] ?? '{}') as StreamLoadSpec;
const url = new URL(spec.url);
const body = Buffer.from(spec.body);
const headers = { ...spec.headers, 'content-type': 'application/json', 'content-length': String(body.length) };
const agent = new http.Agent({ keepAlive: true, maxSockets: spec.concurrency });
const now = (): number => performance.now();

exitWithHarness(2 * spec.maxSeconds + 30);

function countEvents(text: string): number {
  let n = 0;
  for (const block of text.split(/\r?\n\r?\n/)) if (block.trimStart().startsWith('data:')) n++;
  return n;
}

function oneStream(): Promise<StreamSample> {
  return new Promise((resolve) => {
    const t0 = now();
    const fail = (e: Error): void => resolve({ status: 0, headMs: 0, firstMs: null, totalMs: now() - t0, events: 0, error: e.message });
    const req = http.request({ agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers }, (res) => {
      const headMs = now() - t0;
      let firstMs: number | null = null;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (firstMs === null && (text + chunk).includes('data:')) firstMs = now() - t0;
        text += chunk;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headMs, firstMs, totalMs: now() - t0, events: countEvents(text) }));
      res.on('error', fail);
    });
    req.setNoDelay(true);
    req.setTimeout(spec.timeoutMs, () => req.destroy(new Error('timeout')));
    req.on('error', fail);
    req.end(body);
  });
}

const pct = (values: number[], p: number): number | null => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? null;
};

/** `count` streams over `concurrency` workers, stopped early at the deadline. */
async function phase(count: number): Promise<StreamSample[]> {
  const samples: StreamSample[] = [];
  const deadline = Date.now() + spec.maxSeconds * 1000;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < count && Date.now() < deadline) {
      issued++;
      samples.push(await oneStream());
    }
  };
  await Promise.all(Array.from({ length: spec.concurrency }, worker));
  return samples;
}

await phase(spec.warmup);
await announceWarmAndAwaitGo();
const start = now();
const samples = await phase(spec.requests);
const wallMs = now() - start;
agent.destroy();

const ok = samples.filter((s) => s.status === 200 && s.firstMs !== null);
const bad = samples.find((s) => s.status !== 200 || s.firstMs === null);
const events = ok.map((s) => s.events);
const result: StreamLoadResult = {
  requests: samples.length,
  ok: ok.length,
  errors: samples.length - ok.length,
  errorSample: bad ? (bad.error ?? `HTTP ${bad.status}`) : null,
  wallMs,
  headP50: pct(ok.map((s) => s.headMs), 50),
  firstP50: pct(ok.map((s) => s.firstMs ?? 0), 50),
  firstP99: pct(ok.map((s) => s.firstMs ?? 0), 99),
  totalP50: pct(ok.map((s) => s.totalMs), 50),
  totalP99: pct(ok.map((s) => s.totalMs), 99),
  eventsMin: events.length ? Math.min(...events) : null,
  eventsMax: events.length ? Math.max(...events) : null,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
