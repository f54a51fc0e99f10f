import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GatewayError } from '../../errors/gateway-error.ts';
import { parseUpstreamError, redactSecrets, upstreamError } from './upstream-error.ts';

describe('parseUpstreamError', () => {
  it('reads an OpenAI error body', () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4.1 in organization org-abc on tokens per min.', type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
    assert.deepEqual(parseUpstreamError(429, body), { status: 429, message: 'Rate limit reached for gpt-4.1 in organization org-abc on tokens per min.', type: 'tokens', code: 'rate_limit_exceeded', param: undefined });
  });

  it('reads an Anthropic error body', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });
    assert.deepEqual(parseUpstreamError(400, body), { status: 400, message: 'messages: text content blocks must be non-empty', type: 'invalid_request_error', code: undefined, param: undefined });
  });

  it('maps Anthropic 529 overloaded to 503', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.deepEqual(parseUpstreamError(529, body), { status: 503, message: 'Overloaded', type: 'overloaded_error', code: undefined, param: undefined });
  });

  it('falls back to the error code when there is no type', () => {
    assert.equal(parseUpstreamError(401, '{"error":{"message":"bad key","code":"invalid_api_key"}}').type, 'invalid_api_key');
  });

  it('reads string errors and the {detail} / {message} shapes of compatible servers', () => {
    assert.equal(parseUpstreamError(400, '{"error":"model not found"}').message, 'model not found');
    assert.equal(parseUpstreamError(422, '{"detail":"max_tokens must be at least 1"}').message, 'max_tokens must be at least 1');
    assert.equal(parseUpstreamError(500, '{"message":"boom"}').message, 'boom');
  });

  it('uses non-JSON bodies as text, truncated to 500 characters', () => {
    const html = `<html><body>${'Bad gateway '.repeat(100)}</body></html>`;
    const parsed = parseUpstreamError(502, html);
    assert.equal(parsed.status, 502);
    assert.equal(parsed.type, undefined);
    assert.equal(parsed.message.length, 500);
    assert.ok(parsed.message.startsWith('<html><body>Bad gateway'));
  });

  it('uses the whole body of JSON without a message', () => {
    assert.equal(parseUpstreamError(500, '{"status":"fail"}').message, '{"status":"fail"}');
  });

  it('describes an empty body', () => {
    assert.match(parseUpstreamError(503, '  ').message, /HTTP 503.*empty body/);
  });

  it('never echoes API keys, in JSON messages or raw text', () => {
    const openai = JSON.stringify({ error: { message: 'Incorrect API key provided: sk-proj-AbCdEf1234567890XyZ. You can find your API key at https://platform.openai.com/account/api-keys.', type: 'invalid_request_error' } });
    const parsed = parseUpstreamError(401, openai);
    assert.doesNotMatch(parsed.message, /AbCdEf1234567890/);
    assert.match(parsed.message, /sk-\[REDACTED\]/);
    assert.doesNotMatch(parseUpstreamError(502, 'upstream said: invalid x-api-key sk-ant-api03-SECRETSECRETSECRET-abc').message, /SECRETSECRET/);
  });
});

describe('redactSecrets', () => {
  it('redacts bearer tokens, Google keys and key=value credentials', () => {
    assert.equal(redactSecrets('Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.payload.sig'), 'Authorization: Bearer [REDACTED]');
    assert.equal(redactSecrets('key AIzaSyA1234567890abcdefghijklmnop'), 'key [REDACTED]');
    assert.equal(redactSecrets('api_key=abcdef1234567890abcd'), 'api_key=[REDACTED]');
    assert.equal(redactSecrets('"x-api-key": "abcdef1234567890abcd"'), '"x-api-key": "[REDACTED]"');
  });

  it('leaves ordinary text alone', () => {
    const text = 'max_tokens: 4096 > 200000, the maximum allowed for claude-sonnet-4-5; task-id 12';
    assert.equal(redactSecrets(text), text);
  });
});

describe('upstreamError', () => {
  const contextLength = JSON.stringify({ error: { message: "This model's maximum context length is 128000 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } });

  it('keeps the provider\'s status, code, type and param, and its rate-limit headers', () => {
    const err = upstreamError(400, contextLength, 'openai', 'openai', { 'x-ratelimit-remaining-requests': '99', 'set-cookie': 'x=1', 'x-request-id': 'req_up' });
    assert.equal(err.code, 'SB_UPSTREAM_ERROR');
    assert.equal(err.status, 400);
    assert.equal(err.param, 'messages');
    assert.equal(err.retryable, false);
    assert.deepEqual(err.upstream, { dialect: 'openai', code: 'context_length_exceeded', type: 'invalid_request_error', contextLengthExceeded: true });
    assert.deepEqual(err.headers, { 'x-ratelimit-remaining-requests': '99', 'x-upstream-request-id': 'req_up' });
  });

  it('is retryable for 408, 429 and 5xx only, and honours retry-after', () => {
    assert.deepEqual([400, 404, 408, 429, 500, 503].map((s) => upstreamError(s, '', 'p', 'openai', {}).retryable), [false, false, true, true, true, true]);
    assert.equal(upstreamError(429, '', 'p', 'openai', { 'retry-after': '7' }).retryAfter, 7);
    assert.equal(upstreamError(429, '', 'p', 'openai', { 'retry-after-ms': '250', 'retry-after': '7' }).retryAfter, 0.25, 'OpenAI\'s finer header first');
    const inTwoSeconds = new Date(Date.now() + 2500).toUTCString();
    const fromDate = upstreamError(503, '', 'p', 'openai', { 'retry-after': inTwoSeconds }).retryAfter ?? 0;
    assert.ok(fromDate > 0.5 && fromDate <= 2.5, `an HTTP date: ${fromDate}`);
    assert.equal(upstreamError(503, '', 'p', 'openai', { 'retry-after': 'soon' }).retryAfter, undefined);
  });

  it('marks "context length exceeded" in every dialect, and nothing else', () => {
    const anthropic = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210345 tokens > 200000 maximum' } });
    const vllm = JSON.stringify({ detail: "This model's maximum context length is 4096 tokens. However, you requested 5000 tokens." });
    assert.equal(upstreamError(400, anthropic, 'a', 'anthropic', {}).upstream?.contextLengthExceeded, true);
    assert.equal(upstreamError(400, vllm, 'v', 'openai', {}).upstream?.contextLengthExceeded, true);
    assert.equal(upstreamError(400, '{"error":{"message":"temperature must be below 2"}}', 'o', 'openai', {}).upstream?.contextLengthExceeded, false);
    assert.equal(upstreamError(500, vllm, 'v', 'openai', {}).upstream?.contextLengthExceeded, false, 'only a refusal of the request');
  });

  it('reports a refused provider credential as the operator\'s problem, never as the caller\'s 401', () => {
    for (const status of [401, 403]) {
      const err = upstreamError(status, '{"error":{"message":"Incorrect API key provided: sk-abc123456789","code":"invalid_api_key"}}', 'openai', 'openai', {});
      assert.ok(err instanceof GatewayError);
      assert.equal(err.code, 'SB_UPSTREAM_AUTH_FAILED');
      assert.equal(err.status, 502);
      assert.equal(err.retryable, false);
      assert.match(err.message, /apiKey or apiKeyEnv for "openai"/);
      assert.doesNotMatch(err.message, /sk-abc123456789/);
    }
  });
});
