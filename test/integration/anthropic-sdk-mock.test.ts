// The official Anthropic SDK as a client of a running Switchboard. The mock provider speaks the OpenAI format,
// so every answer here crosses the translator (Anthropic caller → OpenAI-format upstream).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ADMIN_KEY, startGateway, type TestGateway } from '../support/start-gateway.ts';
import { usageFor } from '../support/usage-for.ts';

describe('Anthropic SDK → Switchboard → mock provider (translated)', () => {
  let gw: TestGateway;
  let client: Anthropic;

  before(async () => {
    gw = await startGateway();
    client = new Anthropic({ baseURL: gw.url, apiKey: ADMIN_KEY, maxRetries: 0 });
  });
  after(() => gw.close());

  it('answers a message with usage', async () => {
    const msg = await client.messages.create({ model: 'mock', max_tokens: 200, system: 'Be brief.', messages: [{ role: 'user', content: 'Hello Claude' }] });
    assert.equal(msg.type, 'message');
    assert.equal(msg.role, 'assistant');
    const text = msg.content.filter((b) => b.type === 'text').map((b) => b.text).join('');
    assert.match(text, /Hello Claude/);
    assert.equal(msg.stop_reason, 'end_turn');
    assert.ok(msg.usage.input_tokens > 0 && msg.usage.output_tokens > 0);
  });

  it('streams with the SDK helper and gets the final message', async () => {
    const stream = client.messages.stream({ model: 'mock', max_tokens: 200, messages: [{ role: 'user', content: 'stream to me' }] });
    let deltas = '';
    stream.on('text', (t) => { deltas += t; });
    const final = await stream.finalMessage();
    assert.match(deltas, /stream to me/);
    assert.equal(final.stop_reason, 'end_turn');
    assert.ok(final.usage.output_tokens > 0);
  });

  it('returns tool_use blocks (parallel) and streams their input', async () => {
    const tools: Anthropic.Tool[] = [
      { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
      { name: 'get_time', input_schema: { type: 'object', properties: { tz: { type: 'string' } }, required: ['tz'] } },
    ];
    const msg = await client.messages.create({ model: 'mock', max_tokens: 200, tools, messages: [{ role: 'user', content: 'weather and time' }] });
    const uses = msg.content.filter((b) => b.type === 'tool_use');
    assert.equal(msg.stop_reason, 'tool_use');
    assert.deepEqual(uses.map((u) => u.name), ['get_weather', 'get_time']);
    for (const u of uses) assert.match(u.id, /^[a-zA-Z0-9_-]+$/);

    const final = await client.messages.stream({ model: 'mock', max_tokens: 200, tools, messages: [{ role: 'user', content: 'weather and time' }] }).finalMessage();
    const streamed = final.content.filter((b) => b.type === 'tool_use');
    assert.deepEqual(streamed.map((u) => u.input), uses.map((u) => u.input));

    // the tool results go back; the model answers in text
    const next = await client.messages.create({
      model: 'mock', max_tokens: 200, tools,
      messages: [
        { role: 'user', content: 'weather and time' },
        { role: 'assistant', content: msg.content },
        { role: 'user', content: uses.map((u) => ({ type: 'tool_result' as const, tool_use_id: u.id, content: `result of ${u.name}` })) },
      ],
    });
    assert.equal(next.stop_reason, 'end_turn');
    assert.ok(next.content.some((b) => b.type === 'text'));
  });

  it('counts tokens locally for a non-Anthropic model', async () => {
    const count = await client.messages.countTokens({ model: 'mock', messages: [{ role: 'user', content: 'count these words please' }] });
    assert.ok(count.input_tokens > 0);
  });

  it('lists models in the Anthropic shape', async () => {
    const page = await client.models.list();
    assert.ok(page.data.some((m) => m.id === 'mock' && m.type === 'model'));
  });

  it('maps errors to the SDK error classes in the Anthropic shape', async () => {
    const bad = new Anthropic({ baseURL: gw.url, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(bad.messages.create({ model: 'mock', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.AuthenticationError && (err.error as any)?.error?.type === 'authentication_error');
    await assert.rejects(client.messages.create({ model: 'mock', max_tokens: 0, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.BadRequestError && (err.error as any)?.error?.code === 'SB_INVALID_REQUEST');
    await assert.rejects(client.messages.create({ model: 'nope', max_tokens: 10, messages: [{ role: 'user', content: 'x' }] }),
      (err: unknown) => err instanceof Anthropic.NotFoundError && (err.error as any)?.error?.type === 'not_found_error');
  });

  it('accepts the key as x-api-key (Anthropic SDK 0.x) and records usage per request', async () => {
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST', headers: { 'x-api-key': ADMIN_KEY, 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'mock', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    });
    assert.equal(res.status, 200);
    const id = res.headers.get('request-id');
    assert.ok(id);
    const records = await usageFor(gw, id);
    assert.deepEqual(records.map((r) => r.kind).sort(), ['attempt', 'request']);
  });
});
