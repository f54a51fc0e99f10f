import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpstreamError, redactSecrets } from './upstream-error.ts';

describe('parseUpstreamError', () => {
  it('reads an OpenAI error body', () => {
    const body = JSON.stringify({ error: { message: 'Rate limit reached for gpt-4.1 in organization org-abc on tokens per min.', type: 'tokens', param: null, code: 'rate_limit_exceeded' } });
    assert.deepEqual(parseUpstreamError(429, body), { status: 429, message: 'Rate limit reached for gpt-4.1 in organization org-abc on tokens per min.', type: 'tokens' });
  });

  it('reads an Anthropic error body', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: text content blocks must be non-empty' }, request_id: 'req_011CSHoEeqs5C35K2UUqR7Fy' });
    assert.deepEqual(parseUpstreamError(400, body), { status: 400, message: 'messages: text content blocks must be non-empty', type: 'invalid_request_error' });
  });

  it('maps Anthropic 529 overloaded to 503', () => {
    const body = JSON.stringify({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    assert.deepEqual(parseUpstreamError(529, body), { status: 503, message: 'Overloaded', type: 'overloaded_error' });
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
