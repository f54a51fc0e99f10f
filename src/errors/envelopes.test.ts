import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CATALOGUE, type ErrorCode } from './catalogue.ts';
import { anthropicErrorType, errorBody, openaiErrorType } from './envelopes.ts';
import { GatewayError } from './gateway-error.ts';

const REQUEST_ID = 'req-123';

describe('openaiErrorType', () => {
  it('maps statuses to the types the OpenAI API uses', () => {
    const expected: ReadonlyArray<readonly [number, string]> = [
      [400, 'invalid_request_error'], [401, 'authentication_error'], [403, 'permission_error'], [404, 'not_found_error'],
      [409, 'invalid_request_error'], [413, 'invalid_request_error'], [415, 'invalid_request_error'], [422, 'invalid_request_error'],
      [429, 'rate_limit_error'], [500, 'server_error'], [502, 'server_error'], [503, 'server_error'], [504, 'server_error'], [529, 'server_error'],
    ];
    for (const [status, type] of expected) assert.equal(openaiErrorType(status), type, String(status));
  });
});

describe('anthropicErrorType', () => {
  it('maps statuses to the types the Anthropic API uses', () => {
    const expected: ReadonlyArray<readonly [number, string]> = [
      [400, 'invalid_request_error'], [415, 'invalid_request_error'], [422, 'invalid_request_error'], [401, 'authentication_error'],
      [402, 'billing_error'], [403, 'permission_error'], [404, 'not_found_error'], [409, 'conflict_error'], [413, 'request_too_large'],
      [429, 'rate_limit_error'], [500, 'api_error'], [502, 'api_error'], [503, 'overloaded_error'], [529, 'overloaded_error'],
      [504, 'timeout_error'], [418, 'invalid_request_error'], [599, 'api_error'],
    ];
    for (const [status, type] of expected) assert.equal(anthropicErrorType(status), type, String(status));
  });
});

describe('errorBody', () => {
  const withParam = new GatewayError('SB_INVALID_REQUEST', { param: 'messages.0.role', message: 'Invalid request: messages.0.role must be one of the allowed values.' });
  const plain = new GatewayError('SB_AUTH_INVALID_KEY');
  const limited = new GatewayError('SB_UPSTREAM_ERROR', { status: 429, retryAfter: 20, message: 'Provider "openai" answered 429: slow down' });

  describe('OpenAI dialect', () => {
    it('is { error: { message, type, param, code } } with the SB code', () => {
      assert.deepEqual(errorBody(withParam, 'openai', REQUEST_ID), {
        error: { message: withParam.message, type: 'invalid_request_error', param: 'messages.0.role', code: 'SB_INVALID_REQUEST' },
      });
    });

    it('always has param, null when no field is at fault', () => {
      assert.deepEqual(errorBody(plain, 'openai', REQUEST_ID), {
        error: { message: CATALOGUE.SB_AUTH_INVALID_KEY.message, type: 'authentication_error', param: null, code: 'SB_AUTH_INVALID_KEY' },
      });
    });

    it('carries neither request id, retryable nor retry_after (they travel in headers)', () => {
      assert.deepEqual(errorBody(limited, 'openai', REQUEST_ID), {
        error: { message: limited.message, type: 'rate_limit_error', param: null, code: 'SB_UPSTREAM_ERROR' },
      });
    });
  });

  describe('Anthropic dialect', () => {
    it('is { type: "error", error: { type, message, code, param? }, request_id }', () => {
      assert.deepEqual(errorBody(withParam, 'anthropic', REQUEST_ID), {
        type: 'error',
        error: { type: 'invalid_request_error', message: withParam.message, code: 'SB_INVALID_REQUEST', param: 'messages.0.role' },
        request_id: REQUEST_ID,
      });
    });

    it('leaves param out when no field is at fault', () => {
      const body = errorBody(plain, 'anthropic', REQUEST_ID);
      assert.deepEqual(body, {
        type: 'error', error: { type: 'authentication_error', message: CATALOGUE.SB_AUTH_INVALID_KEY.message, code: 'SB_AUTH_INVALID_KEY' }, request_id: REQUEST_ID,
      });
      assert.equal('param' in (body.error as object), false);
    });

    it('types the error by the answered status, not the catalogue one', () => {
      assert.equal((errorBody(limited, 'anthropic', REQUEST_ID).error as { type: string }).type, 'rate_limit_error');
    });
  });

  describe('generic dialect', () => {
    it('is { error: { code, message, request_id, retryable } }', () => {
      assert.deepEqual(errorBody(plain, 'generic', REQUEST_ID), {
        error: { code: 'SB_AUTH_INVALID_KEY', message: CATALOGUE.SB_AUTH_INVALID_KEY.message, request_id: REQUEST_ID, retryable: false },
      });
    });

    it('adds param and retry_after when they are known', () => {
      assert.deepEqual(errorBody(withParam, 'generic', REQUEST_ID), {
        error: { code: 'SB_INVALID_REQUEST', message: withParam.message, request_id: REQUEST_ID, retryable: false, param: 'messages.0.role' },
      });
      assert.deepEqual(errorBody(limited, 'generic', REQUEST_ID), {
        error: { code: 'SB_UPSTREAM_ERROR', message: limited.message, request_id: REQUEST_ID, retryable: true, retry_after: 20 },
      });
    });
  });

  it('writes every catalogue code in every dialect as JSON-safe data', () => {
    for (const code of Object.keys(CATALOGUE) as ErrorCode[]) {
      const err = new GatewayError(code);
      for (const dialect of ['openai', 'anthropic', 'generic'] as const) {
        const body = errorBody(err, dialect, REQUEST_ID);
        assert.deepEqual(JSON.parse(JSON.stringify(body)), body, `${code} ${dialect}`);
        assert.ok(JSON.stringify(body).includes(code), `${code} ${dialect}`);
      }
    }
  });
});

describe('GatewayError', () => {
  it('takes status, retryable and message from the catalogue', () => {
    for (const [code, spec] of Object.entries(CATALOGUE) as Array<[ErrorCode, (typeof CATALOGUE)[ErrorCode]]>) {
      const err = new GatewayError(code);
      assert.equal(err.status, spec.status, code);
      assert.equal(err.retryable, spec.retryable, code);
      assert.equal(err.message, spec.message, code);
      assert.equal(err.param, undefined);
      assert.equal(err.retryAfter, undefined);
    }
  });

  it('lets a call site set message, status, param, retryAfter and cause', () => {
    const cause = new Error('socket hang up');
    const err = new GatewayError('SB_UPSTREAM_ERROR', { status: 429, message: 'slow down', param: 'model', retryAfter: 3, cause });
    assert.equal(err.status, 429);
    assert.equal(err.retryable, true);
    assert.equal(err.message, 'slow down');
    assert.equal(err.param, 'model');
    assert.equal(err.retryAfter, 3);
    assert.equal(err.cause, cause);
    assert.equal(err.name, 'GatewayError');
  });
});

describe('CATALOGUE', () => {
  it('uses SB_ codes, HTTP error statuses and a message that says what to do', () => {
    for (const [code, spec] of Object.entries(CATALOGUE)) {
      assert.match(code, /^SB_[A-Z0-9_]+$/);
      assert.ok(spec.status >= 400 && spec.status <= 599, code);
      assert.ok(spec.message.length > 10 && spec.message.endsWith('.'), code);
    }
  });
});
