import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallContext } from '../domain/call-context.ts';
import { testFacts } from '../../test/support/request-facts-factory.ts';
import { wireDefaults, withDefaultParameters } from './default-parameters.ts';
import { testPrincipal } from '../../test/support/principal-factory.ts';

function ctx(body: Record<string, unknown>, endpoint: CallContext['endpoint'] = 'chat'): CallContext {
  return {
    requestId: 'r', principal: testPrincipal({ keyId: 'k' }), endpoint, callerFormat: 'openai', body, raw: Buffer.from(JSON.stringify(body)),
    model: 'm', stream: false, forwardHeaders: {}, facts: testFacts(), startedAt: 0, deadlineAt: 1, startedMs: 0, signal: new AbortController().signal,
  };
}

describe('default parameters of a registered model', () => {
  it("maps seed 002's camelCase names to the wire's", () => {
    assert.deepEqual(wireDefaults({ temperature: 0.7, maxTokens: 4096, topP: 0.9, custom_flag: true }), { temperature: 0.7, max_tokens: 4096, top_p: 0.9, custom_flag: true });
    assert.equal(wireDefaults({}), undefined);
  });

  it('fills only what the caller left out, and keeps the bytes when it set everything', () => {
    const given = ctx({ model: 'm', messages: [], temperature: 0.1 });
    const filled = withDefaultParameters(given, { temperature: 0.7, max_tokens: 100 });
    assert.deepEqual(filled.body, { model: 'm', messages: [], temperature: 0.1, max_tokens: 100 });
    assert.deepEqual(JSON.parse(filled.raw.toString()), filled.body);
    const complete = ctx({ model: 'm', messages: [], temperature: 0.1, max_tokens: 5 });
    assert.equal(withDefaultParameters(complete, { temperature: 0.7, max_tokens: 100 }), complete);
  });

  it('leaves embeddings and token counts alone', () => {
    const embeddings = ctx({ model: 'm', input: 'x' }, 'embeddings');
    assert.equal(withDefaultParameters(embeddings, { temperature: 0.7 }), embeddings);
  });
});
