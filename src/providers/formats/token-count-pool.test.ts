import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { randomLetters } from '../../../test/support/random-letters.ts';
import { isGatewayError } from '../../errors/gateway-error.ts';
import { TokenCountPool, closeTokenCountPool, countInputTokens } from './token-count-pool.ts';
import { countMessageTokens } from './token-counter.ts';

const CRASHING_WORKER = new URL('./fixtures/crashing-token-count-worker.ts', import.meta.url);

function userText(text: string): Record<string, unknown> {
  return { model: 'gpt-4.1', messages: [{ role: 'user', content: text }] };
}

/** A body costing ~0.5 s to count: long enough to be running when a test acts, short enough to wait for. */
const SLOW_BODY = userText(randomLetters(200_000, 7));

function isCode(code: string): (error: unknown) => boolean {
  return (error) => isGatewayError(error) && error.code === code;
}

const pools: TokenCountPool[] = [];
function pool(options: ConstructorParameters<typeof TokenCountPool>[0] = {}): TokenCountPool {
  const created = new TokenCountPool(options);
  pools.push(created);
  return created;
}
after(async () => {
  await Promise.all(pools.map((p) => p.close()));
  await closeTokenCountPool();
});

describe('countInputTokens', () => {
  it('counts a tiny body inline, as countMessageTokens does', async () => {
    const body = { system: 'Be brief.', messages: [{ role: 'user', content: 'Hello, Claude' }] };
    // The crashing worker would answer 42 or die: the right count proves no worker was asked.
    assert.equal(await pool({ workerUrl: CRASHING_WORKER }).count(body), countMessageTokens(body));
    assert.equal(await countInputTokens(body), countMessageTokens(body));
  });

  it('counts a large body in the worker to the same number', async () => {
    const prose = 'Switchboard routes each request to a provider, and counts tokens when asked. ';
    const body = {
      model: 'gpt-4.1',
      system: [{ type: 'text', text: prose.repeat(1000) }],
      messages: [
        { role: 'user', content: prose.repeat(25_000) },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'lookup', input: { query: prose.repeat(100) } }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: randomLetters(10_000, 3) }] },
      ],
      tools: [{ name: 'lookup', input_schema: { type: 'object', properties: { query: { type: 'string' } } } }],
    };
    assert.equal(await pool({ workerUrl: CRASHING_WORKER }).count({ crash: false, ...body }), 42, 'a body this large goes to the worker');
    assert.equal(await countInputTokens(body), countMessageTokens(body));
  });

  it('keeps the event loop responsive while the worker counts', async () => {
    // Counted inline this body blocks the event loop for ~0.5 s (see SLOW_BODY); 100 ms leaves a wide margin
    // for a loaded 2-core machine on both sides.
    const counter = pool();
    let last = performance.now();
    let maxGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
      ticks++;
    }, 5);
    try {
      const started = performance.now();
      const tokens = await counter.count(SLOW_BODY);
      const elapsed = performance.now() - started;
      maxGap = Math.max(maxGap, performance.now() - last);
      assert.ok(tokens > 10_000);
      assert.ok(ticks >= 10, `only ${ticks} ticks in ${elapsed.toFixed(0)} ms`);
      assert.ok(maxGap < 100, `the event loop stalled for ${maxGap.toFixed(0)} ms`);
    } finally {
      clearInterval(timer);
    }
  });

  it('refuses a count past the queue bound with SB_GATEWAY_OVERLOADED', async () => {
    const counter = pool({ maxQueued: 2, inlineBelowChars: 0 });
    const body = userText('Hello there');
    const running = counter.count(SLOW_BODY);
    const queued = [counter.count(body), counter.count(body)];
    await assert.rejects(counter.count(body), (error) => isCode('SB_GATEWAY_OVERLOADED')(error) && isGatewayError(error) && error.status === 503 && error.retryable);
    assert.ok((await running) > 10_000);
    assert.deepEqual(await Promise.all(queued), [countMessageTokens(body), countMessageTokens(body)]);
  });

  it('rejects with the signal\'s reason when aborted before, while waiting or while running', async () => {
    const counter = pool({ inlineBelowChars: 0 });
    const body = userText('Hello there');
    await assert.rejects(counter.count(body, AbortSignal.abort(new Error('gone before'))), /gone before/);

    const runningAbort = new AbortController();
    const waitingAbort = new AbortController();
    const running = counter.count(SLOW_BODY, runningAbort.signal);
    const waiting = counter.count(body, waitingAbort.signal);
    const behind = counter.count(body);
    waitingAbort.abort(new Error('gone while waiting'));
    await assert.rejects(waiting, /gone while waiting/);
    const aborted = performance.now();
    runningAbort.abort(new Error('gone while running'));
    await assert.rejects(running, /gone while running/);
    assert.ok(performance.now() - aborted < 50, 'a running count is answered at once, not when the worker is done');
    assert.equal(await behind, countMessageTokens(body), 'the queue goes on after both');
  });

  it('refuses more counted text than the limit with SB_INVALID_REQUEST on messages', async () => {
    const counter = pool({ maxChars: 1000 });
    await assert.rejects(counter.count(userText('x'.repeat(1001))), (error) =>
      isCode('SB_INVALID_REQUEST')(error) && isGatewayError(error) && error.param === 'messages' && /at most 1000 characters/.test(error.message));
  });

  it('fails only the running count when the worker dies, and starts a new one for the next', async () => {
    const counter = pool({ workerUrl: CRASHING_WORKER, inlineBelowChars: 0 });
    const crashed = counter.count({ crash: true });
    const next = counter.count(userText('Hello there'));
    await assert.rejects(crashed, isCode('SB_INTERNAL'));
    assert.equal(await next, 42);
  });

  it('close() fails waiting and running counts with SB_SHUTTING_DOWN; a later count starts a worker again', async () => {
    const counter = pool({ inlineBelowChars: 0 });
    const body = userText('Hello there');
    const running = assert.rejects(counter.count(SLOW_BODY), isCode('SB_SHUTTING_DOWN'));
    const waiting = assert.rejects(counter.count(body), isCode('SB_SHUTTING_DOWN'));
    await counter.close();
    await Promise.all([running, waiting]);
    assert.equal(await counter.count(body), countMessageTokens(body));
  });

  for (const closes of [false, true]) {
    it(`lets the process exit after a count ${closes ? 'and close()' : 'without close(): the idle worker is unref()ed'}`, async () => {
      // A script file, not `--input-type=module -e`: the worker inherits execArgv, and --input-type is refused there.
      const script = join(mkdtempSync(join(tmpdir(), 'sb-token-count-')), 'count.mjs');
      writeFileSync(script, [
        `import { countInputTokens, closeTokenCountPool } from ${JSON.stringify(new URL('./token-count-pool.ts', import.meta.url).href)};`,
        `console.log(await countInputTokens({ messages: [{ role: 'user', content: 'Hello there. '.repeat(1000) }] }));`,
        closes ? 'await closeTokenCountPool();' : '',
      ].join('\n'));
      const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], timeout: 30_000 });
      let stdout = '';
      child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      rmSync(dirname(script), { recursive: true, force: true });
      assert.equal(signal, null, 'killed by the timeout: the worker kept the process alive');
      assert.equal(code, 0);
      assert.equal(stdout.trim(), String(countMessageTokens({ messages: [{ role: 'user', content: 'Hello there. '.repeat(1000) }] })));
    });
  }
});
