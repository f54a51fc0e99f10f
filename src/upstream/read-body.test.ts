import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { GatewayError } from '../errors/gateway-error.ts';
import { ByteBudget } from './byte-budget.ts';
import { readBody } from './read-body.ts';

const chunks = (count: number, size: number): Readable => Readable.from(Array.from({ length: count }, () => Buffer.alloc(size, 'a')));
const isCode = (code: string, status: number, text: RegExp) => (err: unknown): boolean =>
  err instanceof GatewayError && err.code === code && err.status === status && text.test(err.message);

describe('readBody', () => {
  it('reads a body within both bounds and gives its bytes back', async () => {
    const budget = new ByteBudget(1000);
    const body = await readBody(chunks(4, 100), 'p', 500, budget);
    assert.equal(body.length, 400);
    assert.equal(budget.used, 0);
  });

  it('answers a Buffer body as it is, taking nothing', async () => {
    const budget = new ByteBudget(10);
    const bytes = Buffer.alloc(100);
    assert.equal(await readBody(bytes, 'p', 1000, budget), bytes);
    assert.equal(budget.used, 0);
  });

  it('fails a body over maxBytes with SB_UPSTREAM_BAD_RESPONSE naming the provider and the setting', async () => {
    const budget = new ByteBudget(10_000);
    const source = chunks(10, 100);
    await assert.rejects(readBody(source, 'groq', 500, budget, 'providers[].maxResponseBytes'),
      isCode('SB_UPSTREAM_BAD_RESPONSE', 502, /^Provider "groq" sent a body larger than 500 bytes \(providers\[\]\.maxResponseBytes\)\.$/));
    assert.ok(source.destroyed);
    assert.equal(budget.used, 0);
  });

  it('refuses a body past the shared budget with SB_GATEWAY_OVERLOADED, the other bodies keeping theirs', async () => {
    const budget = new ByteBudget(1000);
    budget.take(700); // another answer being read
    const source = chunks(5, 100);
    await assert.rejects(readBody(source, 'p', 10_000, budget), isCode('SB_GATEWAY_OVERLOADED', 503, /server\.maxBufferedResponseBytes \(1000 bytes\)/));
    assert.ok(source.destroyed);
    assert.equal(budget.used, 700);
  });

  it('gives the bytes back when the body fails half-way', async () => {
    const budget = new ByteBudget(1000);
    const source = new PassThrough();
    const pending = readBody(source, 'p', 1000, budget);
    source.write(Buffer.alloc(300));
    await new Promise<void>((resolve) => setImmediate(resolve));
    assert.equal(budget.used, 300, 'the chunk read so far is taken');
    source.destroy(new Error('socket hang up'));
    await assert.rejects(pending, /socket hang up/);
    assert.equal(budget.used, 0);
  });

  it('settles, and gives the bytes back, when the body is closed before its end without an error', async () => {
    const budget = new ByteBudget(1000);
    const source = new PassThrough();
    const pending = readBody(source, 'p', 1000, budget);
    source.write(Buffer.alloc(300));
    await new Promise<void>((resolve) => setImmediate(resolve));
    source.destroy();
    await assert.rejects(pending, { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    assert.equal(budget.used, 0);
  });
});
