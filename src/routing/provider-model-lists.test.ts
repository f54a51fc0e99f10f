import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProviderModelLists, type ModelListSource } from './provider-model-lists.ts';

/** A provider whose list answers are scripted; each call takes the next answer (the last one repeats). */
function source(name: string, ...answers: Array<readonly string[] | undefined | 'hang' | 'throw'>): ModelListSource & { calls: number; signals: AbortSignal[] } {
  const s = {
    name, calls: 0, signals: [] as AbortSignal[],
    listModels(signal: AbortSignal): Promise<readonly string[] | undefined> {
      const answer = answers[Math.min(s.calls++, answers.length - 1)];
      s.signals.push(signal);
      if (answer === 'hang') return new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined)));
      if (answer === 'throw') return Promise.reject(new Error('broken adapter'));
      return Promise.resolve(answer);
    },
  };
  return s;
}

function clock(): { now: () => number; advance: (ms: number) => void } {
  let t = 1_000_000;
  return { now: () => t, advance: (ms) => { t += ms; } };
}

/** Lets background fetches settle. */
const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('ProviderModelLists', () => {
  it('fetches nothing until first asked', async () => {
    const openai = source('openai', ['gpt-4o']);
    const lists = new ProviderModelLists([openai]);
    await tick();
    assert.equal(openai.calls, 0);
    assert.deepEqual(await lists.current(), new Map([['openai', ['gpt-4o']]]));
    assert.equal(openai.calls, 1);
  });

  it('fetches once per provider within the TTL, then serves the stale list while refreshing', async () => {
    const c = clock();
    const openai = source('openai', ['gpt-4o'], ['gpt-4o', 'gpt-5']);
    const lists = new ProviderModelLists([openai], { ttlMs: 10_000, now: c.now });
    await Promise.all([lists.current(), lists.current(), lists.current()]);
    for (let i = 0; i < 5; i++) assert.deepEqual((await lists.current()).get('openai'), ['gpt-4o']);
    assert.equal(openai.calls, 1);
    c.advance(10_000);
    assert.deepEqual((await lists.current()).get('openai'), ['gpt-4o'], 'stale, not waited for');
    assert.equal(openai.calls, 2);
    await tick();
    assert.deepEqual((await lists.current()).get('openai'), ['gpt-4o', 'gpt-5']);
    assert.equal(openai.calls, 2);
  });

  it('keeps the last good list when a refresh fails, and retries sooner than the TTL', async () => {
    const c = clock();
    const openai = source('openai', ['gpt-4o'], undefined, 'throw', ['gpt-5']);
    const lists = new ProviderModelLists([openai], { ttlMs: 10_000, retryMs: 1_000, now: c.now });
    await lists.current();
    c.advance(10_000);
    await lists.current();
    await tick();
    assert.deepEqual((await lists.current()).get('openai'), ['gpt-4o'], 'undefined keeps the last good list');
    c.advance(999);
    await lists.current();
    assert.equal(openai.calls, 2, 'not before retryMs');
    c.advance(1);
    await lists.current();
    await tick();
    assert.deepEqual((await lists.current()).get('openai'), ['gpt-4o'], 'a throwing adapter keeps it too');
    c.advance(1_000);
    await lists.current();
    await tick();
    assert.deepEqual((await lists.current()).get('openai'), ['gpt-5']);
  });

  it('leaves out providers without a list', async () => {
    const lists = new ProviderModelLists([source('azure', undefined), source('mock', ['mock'])]);
    assert.deepEqual([...(await lists.current()).keys()], ['mock']);
  });

  it('waits at most firstWaitMs for a first fetch, counted from its start, and keeps one fetch in flight', async () => {
    const slow = source('slow', 'hang');
    const lists = new ProviderModelLists([slow, source('mock', ['mock'])], { firstWaitMs: 50 });
    const started = performance.now();
    assert.deepEqual(await lists.current(), new Map([['mock', ['mock']]]));
    const waited = performance.now() - started;
    assert.ok(waited >= 45 && waited < 1_000, `waited ${waited} ms`);
    const again = performance.now();
    await lists.current();
    assert.ok(performance.now() - again < 40, 'the bound runs from the fetch\'s start, not per caller');
    assert.equal(slow.calls, 1, 'the hung fetch is not started again');
    lists.close();
    assert.equal(slow.signals[0]?.aborted, true, 'close() aborts it');
  });

  it('does not wait for a refresh once a first fetch has settled, even a failed one', async () => {
    const c = clock();
    const flaky = source('flaky', undefined, 'hang');
    const lists = new ProviderModelLists([flaky], { firstWaitMs: 5_000, retryMs: 10, now: c.now });
    await lists.current();
    c.advance(10);
    const started = performance.now();
    assert.deepEqual(await lists.current(), new Map());
    assert.ok(performance.now() - started < 1_000);
    assert.equal(flaky.calls, 2);
    lists.close();
  });

  it('fetches nothing after close()', async () => {
    const openai = source('openai', ['gpt-4o']);
    const lists = new ProviderModelLists([openai]);
    lists.close();
    assert.deepEqual(await lists.current(), new Map());
    assert.equal(openai.calls, 0);
  });
});
