import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../errors/gateway-error.ts';
import { ByteBudget, UNBOUNDED_BUDGET } from './byte-budget.ts';

describe('ByteBudget', () => {
  it('takes bytes while they fit, up to the limit exactly', () => {
    const budget = new ByteBudget(100);
    assert.equal(budget.take(60), true);
    assert.equal(budget.take(40), true);
    assert.equal(budget.used, 100);
    assert.equal(budget.take(1), false);
  });

  it('takes nothing when a request does not fit, so smaller ones still do', () => {
    const budget = new ByteBudget(100);
    budget.take(70);
    assert.equal(budget.take(31), false);
    assert.equal(budget.used, 70, 'the refused bytes were not counted');
    assert.equal(budget.take(30), true);
  });

  it('refuses a single request larger than the whole limit', () => {
    const budget = new ByteBudget(100);
    assert.equal(budget.take(101), false);
    assert.equal(budget.used, 0);
  });

  it('makes released bytes available again and returns to 0', () => {
    const budget = new ByteBudget(100);
    budget.take(100);
    budget.release(40);
    assert.equal(budget.take(40), true);
    budget.release(100);
    assert.equal(budget.used, 0);
  });

  it('builds a retryable 503 SB_GATEWAY_OVERLOADED that names server.maxBufferedResponseBytes and the limit', () => {
    const err = new ByteBudget(4096).exhausted();
    assert.ok(err instanceof GatewayError);
    assert.equal(err.code, 'SB_GATEWAY_OVERLOADED');
    assert.equal(err.status, 503);
    assert.equal(err.retryable, true);
    assert.match(err.message, /server\.maxBufferedResponseBytes \(4096 bytes\)/);
  });

  it('UNBOUNDED_BUDGET never runs out', () => {
    assert.equal(UNBOUNDED_BUDGET.take(Number.MAX_SAFE_INTEGER), true);
    UNBOUNDED_BUDGET.release(Number.MAX_SAFE_INTEGER);
  });
});
