// What the gateway holds in memory for an upstream is bounded: one buffered answer by providers[].maxResponseBytes,
// all buffered answers together by server.maxBufferedResponseBytes, one stream event by server.maxStreamEventBytes.
// Each bound ends the call with a clear error instead of letting the upstream decide how much memory is used.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config/load-config.ts';
import { largeJsonBody, startReplayServer, type EndlessLineReport, type ReplayServer } from '../support/replay-server.ts';
import { ADMIN_KEY, startGateway, type TestGateway, SINGLE_ATTEMPT } from '../support/start-gateway.ts';
import { usageFor, type Rec } from '../support/usage-for.ts';

const KiB = 1024;
const MiB = 1024 * KiB;
const SERVER = { host: '127.0.0.1', port: 0, metricsPort: 0 };

interface ErrorBody { error: { code: string; message: string } }

function post(gw: TestGateway, path: string, body: Record<string, unknown>, init: { signal?: AbortSignal; requestId?: string } = {}): Promise<Response> {
  return fetch(`${gw.url}${path}`, {
    method: 'POST', body: JSON.stringify(body), signal: init.signal,
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json', ...(init.requestId ? { 'x-request-id': init.requestId } : {}) },
  });
}

const chat = (model: string, stream = false): Record<string, unknown> => ({ model, stream, messages: [{ role: 'user', content: 'x' }] });
const outcomes = (records: readonly Rec[]): string[][] => records.map((r) => [r.kind, r.outcome, r.errorCode ?? '']).sort();

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let waited = 0; !(await condition()); waited += 10) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** A gate the held upstream answers wait on before their last chunk; `reached` counts those waiting. */
class Gate {
  reached = 0;
  #open!: () => void;
  readonly #opened = new Promise<void>((resolve) => { this.#open = resolve; });
  readonly hold = (): Promise<void> => {
    this.reached++;
    return this.#opened;
  };

  open(): void {
    this.#open();
  }
}

describe('an upstream answer over providers[].maxResponseBytes', () => {
  let upstream: ReplayServer;
  let gw: TestGateway;

  before(async () => {
    upstream = await startReplayServer([
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-big', behaviour: 'large-json', bytes: 200 * KiB },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-fits', behaviour: 'large-json', bytes: 60 * KiB },
    ]);
    gw = await startGateway({ config: { providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', maxResponseBytes: 64 * KiB }], resilience: SINGLE_ATTEMPT } });
  });
  after(async () => { await gw.close(); await upstream.close(); });

  it('is refused with 502 SB_UPSTREAM_BAD_RESPONSE naming the bound, and recorded as an error', async () => {
    const res = await post(gw, '/v1/chat/completions', chat('gpt-big'));
    assert.equal(res.status, 502);
    const body = await res.json() as ErrorBody;
    assert.equal(body.error.code, 'SB_UPSTREAM_BAD_RESPONSE');
    assert.match(body.error.message, /larger than 65536 bytes \(maxResponseBytes of provider "openai"\)/);
    const records = await usageFor(gw, res.headers.get('x-request-id')!);
    assert.deepEqual(outcomes(records), [['attempt', 'error', 'SB_UPSTREAM_BAD_RESPONSE'], ['request', 'error', 'SB_UPSTREAM_BAD_RESPONSE']]);
  });

  it('lets an answer just under the bound through whole', async () => {
    const res = await post(gw, '/v1/chat/completions', chat('gpt-fits'));
    assert.equal(res.status, 200);
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), largeJsonBody(60 * KiB));
  });
});

describe('upstream answers over server.maxBufferedResponseBytes together', () => {
  const BUDGET = 1 * MiB;
  let upstream: ReplayServer;
  let gw: TestGateway;
  let gate = new Gate();

  before(async () => {
    upstream = await startReplayServer([
      // 450 KiB each, the last 64 KiB held: three hold 3 × 386 KiB (more than 1 MiB), two hold 772 KiB.
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-held', behaviour: 'large-json', bytes: 450 * KiB, hold: () => gate.hold() },
      // 500 KiB each: two of them need 1000 KiB of the 1024, so they both fit only when nothing leaked.
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-half', behaviour: 'large-json', bytes: 500 * KiB, hold: () => gate.hold() },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-small', behaviour: 'large-json', bytes: 2 * KiB },
      { method: 'POST', path: '/v1/chat/completions', when: (b) => b.model === 'gpt-too-big', behaviour: 'large-json', bytes: 600 * KiB },
    ]);
    gw = await startGateway({
      config: {
        server: { ...SERVER, maxBufferedResponseBytes: BUDGET },
        providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', maxResponseBytes: 512 * KiB }], resilience: SINGLE_ATTEMPT,
      },
    });
  });
  after(async () => { gate.open(); await gw.close(); await upstream.close(); });

  it('refuses the one that does not fit with 503 SB_GATEWAY_OVERLOADED, while smaller ones still succeed', async () => {
    gate = new Gate();
    const held = [1, 2, 3].map(() => post(gw, '/v1/chat/completions', chat('gpt-held')));
    await until(() => gate.reached === 3, 'three answers held upstream');
    const refused = await Promise.race(held);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get('x-switchboard-error-code'), 'SB_GATEWAY_OVERLOADED');
    const body = await refused.json() as ErrorBody;
    assert.equal(body.error.code, 'SB_GATEWAY_OVERLOADED');
    assert.match(body.error.message, /server\.maxBufferedResponseBytes \(1048576 bytes\)/);
    assert.deepEqual(outcomes(await usageFor(gw, refused.headers.get('x-request-id')!)),
      [['attempt', 'error', 'SB_GATEWAY_OVERLOADED'], ['request', 'error', 'SB_GATEWAY_OVERLOADED']]);

    const small = await post(gw, '/v1/chat/completions', chat('gpt-small'));
    assert.equal(small.status, 200, 'a small answer fits beside the two held ones');
    assert.deepEqual(Buffer.from(await small.arrayBuffer()), largeJsonBody(2 * KiB));

    gate.open();
    const statuses = await Promise.all(held.map(async (p) => {
      const res = await p;
      if (res.status === 200) assert.deepEqual(Buffer.from(await res.arrayBuffer()), largeJsonBody(450 * KiB));
      else if (!res.bodyUsed) await res.body?.cancel();
      return res.status;
    }));
    assert.deepEqual(statuses.sort(), [200, 200, 503]);
  });

  it('gives back the bytes of answers that failed or whose caller left, so the whole budget is free again', async () => {
    // Failure: over the provider's own bound, after taking part of the budget.
    const tooBig = await post(gw, '/v1/chat/completions', chat('gpt-too-big'));
    assert.equal(tooBig.status, 502);
    await tooBig.body?.cancel();

    // Abort: the caller leaves while its answer is half-read.
    gate = new Gate();
    const caller = new AbortController();
    const requestId = 'bounds-abort-1';
    const left = post(gw, '/v1/chat/completions', chat('gpt-held'), { signal: caller.signal, requestId });
    await until(() => gate.reached === 1, 'the answer held upstream');
    caller.abort();
    await assert.rejects(left);
    await until(async () => (await usageFor(gw, requestId)).some((r) => r.kind === 'attempt' && r.outcome === 'client_aborted'), 'the aborted attempt');
    gate.open();

    // Two answers of 500 KiB held at once need 1000 KiB of the 1024: any leak above 24 KiB refuses one.
    gate = new Gate();
    const both = [1, 2].map(() => post(gw, '/v1/chat/completions', chat('gpt-half')));
    await until(() => gate.reached === 2, 'both answers held upstream');
    gate.open();
    for (const res of await Promise.all(both)) {
      assert.equal(res.status, 200, await res.clone().text().then((t) => t.slice(0, 300)));
      assert.equal((await res.arrayBuffer()).byteLength, 500 * KiB);
    }
  });

  it('is a configuration error when a provider may buffer more than the whole budget', () => {
    assert.throws(
      () => loadConfig({ env: {}, raw: { server: { maxBufferedResponseBytes: MiB }, providers: [{ name: 'openai', type: 'openai', maxResponseBytes: 2 * MiB }] } }),
      /providers\.0\.maxResponseBytes: larger than server\.maxBufferedResponseBytes \(1048576\)/,
    );
  });
});

describe('an upstream stream line that never ends', () => {
  const EVENT_BOUND = 64 * KiB;
  const UPSTREAM_CAP = 64 * MiB;
  let upstream: ReplayServer;
  let gw: TestGateway;
  const reports: EndlessLineReport[] = [];

  before(async () => {
    upstream = await startReplayServer([
      { method: 'POST', path: '/v1/chat/completions', behaviour: 'endless-line', maxBytes: UPSTREAM_CAP, onEnd: (r) => reports.push(r) },
    ]);
    gw = await startGateway({
      config: {
        server: { ...SERVER, maxStreamEventBytes: EVENT_BOUND },
        providers: [{ name: 'openai', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' }],
      },
    });
  });
  after(async () => { await gw.close(); await upstream.close(); });

  const cases = [
    { caller: 'OpenAI (bytes passed through)', path: '/v1/chat/completions', body: chat('gpt-4o-mini', true), code: (e: Record<string, unknown>) => (e.error as { code?: string } | undefined)?.code },
    { caller: 'Anthropic (translated)', path: '/v1/messages', body: { ...chat('gpt-4o-mini', true), max_tokens: 10 }, code: (e: Record<string, unknown>) => (e.error as { code?: string } | undefined)?.code },
  ];
  for (const c of cases) {
    it(`ends an ${c.caller} caller's 200 stream with an SB_UPSTREAM_BAD_RESPONSE error event and hangs up on the upstream`, async () => {
      reports.length = 0;
      const res = await post(gw, c.path, c.body);
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
      const text = await res.text();
      const events = text.split(/\n\n/).map((e) => e.split('\n').find((l) => l.startsWith('data: {'))).filter((l) => l !== undefined);
      const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as Record<string, unknown>;
      assert.equal(c.code(last), 'SB_UPSTREAM_BAD_RESPONSE', text.slice(-500));
      assert.match(JSON.stringify(last), new RegExp(`larger than ${EVENT_BOUND} characters`));

      const records = await usageFor(gw, res.headers.get('x-request-id')!);
      assert.deepEqual(outcomes(records), [['attempt', 'error', 'SB_UPSTREAM_BAD_RESPONSE'], ['request', 'error', 'SB_UPSTREAM_BAD_RESPONSE']]);

      // The gateway stopped reading and closed the connection long before the upstream ran out of bytes: what it
      // read follows its own bound (plus socket buffers), not the upstream.
      await until(() => reports.length === 1, 'the upstream to see the hang-up');
      assert.equal(reports[0]!.clientClosed, true);
      assert.ok(reports[0]!.sentBytes < 16 * MiB, `the upstream got ${reports[0]!.sentBytes} bytes out`);
    });
  }
});
