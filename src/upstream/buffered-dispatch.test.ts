// bufferedDispatch against a local replay server through a real undici pool: the per-body bound, the shared
// byte budget, and that every way an answer ends gives its bytes back.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import { Pool } from 'undici';
import { largeJsonBody, startReplayServer, type ReplayServer } from '../../test/support/replay-server.ts';
import { GatewayError } from '../errors/gateway-error.ts';
import { bufferedDispatch } from './buffered-dispatch.ts';
import { ByteBudget } from './byte-budget.ts';

const KiB = 1024;
const BUDGET = 1024 * KiB;
const MAX_BYTES = 512 * KiB;

/** A gate the held answers wait on; `reached` counts the answers waiting at it. */
class Gate {
  reached = 0;
  #open!: () => void;
  #opened = new Promise<void>((resolve) => { this.#open = resolve; });
  readonly hold = (): Promise<void> => {
    this.reached++;
    return this.#opened;
  };

  open(): void {
    this.#open();
  }
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let waited = 0; !condition(); waited += 5) {
    if (waited > 5000) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

const isCode = (code: string, status: number, text: RegExp) => (err: unknown): boolean =>
  err instanceof GatewayError && err.code === code && err.status === status && text.test(err.message);

describe('bufferedDispatch bounds', () => {
  let upstream: ReplayServer;
  let pool: Pool;
  let budget: ByteBudget;
  let gate: Gate;

  before(async () => {
    const on = (name: string) => (b: Readonly<Record<string, unknown>>): boolean => b.case === name;
    upstream = await startReplayServer([
      { method: 'POST', path: '/', when: on('small'), behaviour: 'large-json', bytes: KiB },
      { method: 'POST', path: '/', when: on('medium'), behaviour: 'large-json', bytes: 300 * KiB },
      { method: 'POST', path: '/', when: on('too-large'), behaviour: 'large-json', bytes: MAX_BYTES + 1 },
      { method: 'POST', path: '/', when: on('held'), behaviour: 'large-json', bytes: 450 * KiB, hold: () => gate.hold() },
      { method: 'POST', path: '/', when: on('reset'), behaviour: 'large-json', bytes: 300 * KiB, resetBeforeEnd: true },
    ]);
    pool = new Pool(upstream.url, { connections: 16 });
  });
  afterEach(() => { gate.open(); });
  after(async () => { await pool.close(); await upstream.close(); });

  const send = (name: string, signal: AbortSignal = new AbortController().signal) =>
    bufferedDispatch(pool, { method: 'POST', path: '/', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ case: name }) }, signal, MAX_BYTES, budget, 'the test bound');

  const fresh = (): void => {
    budget = new ByteBudget(BUDGET);
    gate = new Gate();
  };

  it('collects an answer within both bounds and gives its bytes back', async () => {
    fresh();
    const res = await send('medium');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, largeJsonBody(300 * KiB));
    assert.equal(budget.used, 0);
  });

  it('fails a body over maxBytes with SB_UPSTREAM_BAD_RESPONSE naming the bound, and gives its bytes back', async () => {
    fresh();
    await assert.rejects(send('too-large'), isCode('SB_UPSTREAM_BAD_RESPONSE', 502, /larger than 524288 bytes \(the test bound\)/));
    assert.equal(budget.used, 0);
  });

  it('refuses answers past the shared budget with SB_GATEWAY_OVERLOADED while smaller ones still succeed', async () => {
    fresh();
    // Three answers of 450 KiB with their last 64 KiB held: 3 × 386 KiB do not fit in 1 MiB, two do.
    const held = [send('held'), send('held'), send('held')].map((p) => p.then((res) => res, (err: unknown) => err));
    await until(() => gate.reached === 3, 'three answers at the gate');
    const refused = await Promise.race(held);
    assert.ok(isCode('SB_GATEWAY_OVERLOADED', 503, /server\.maxBufferedResponseBytes \(1048576 bytes\)/)(refused), String(refused));
    assert.ok(budget.used > 0 && budget.used <= BUDGET, `${budget.used} bytes taken`);

    const small = await send('small');
    assert.equal(small.body.length, KiB, 'a small answer fits beside the two held ones');

    gate.open();
    const results = await Promise.all(held);
    const answered = results.filter((r) => !(r instanceof Error));
    assert.equal(answered.length, 2);
    for (const res of answered) assert.deepEqual((res as { body: Buffer }).body, largeJsonBody(450 * KiB));
    assert.equal(results.filter((r) => r instanceof GatewayError && r.code === 'SB_GATEWAY_OVERLOADED').length, 1);
    assert.equal(budget.used, 0);
  });

  it('gives the bytes back when the caller aborts half-way', async () => {
    fresh();
    const controller = new AbortController();
    const pending = send('held', controller.signal);
    await until(() => budget.used > 0 && gate.reached === 1, 'the first bytes');
    controller.abort(new Error('caller left'));
    await assert.rejects(pending, /caller left/);
    assert.equal(budget.used, 0);
  });

  it('gives the bytes back when the upstream resets half-way', async () => {
    fresh();
    await assert.rejects(send('reset'));
    assert.equal(budget.used, 0);
  });

  it('takes nothing when the signal is aborted before the request starts', async () => {
    fresh();
    await assert.rejects(send('medium', AbortSignal.abort(new Error('gone already'))), /gone already/);
    assert.equal(budget.used, 0);
  });

  it('ends with the budget at 0 after many mixed answers at once', async () => {
    fresh();
    const names = Array.from({ length: 24 }, (_, i) => ['small', 'medium', 'too-large', 'reset'][i % 4]!);
    const controllers = names.map(() => new AbortController());
    const all = names.map((name, i) => send(name, controllers[i]!.signal).then(() => 'ok', (err: unknown) => (err instanceof GatewayError ? err.code : 'failed')));
    controllers[1]!.abort();
    controllers[5]!.abort();
    const outcomes = await Promise.all(all);
    assert.ok(outcomes.includes('ok') && outcomes.includes('SB_UPSTREAM_BAD_RESPONSE') && outcomes.includes('failed'), outcomes.join());
    assert.equal(budget.used, 0);
  });
});
