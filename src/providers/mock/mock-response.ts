/**
 * Builds the mock provider's responses in process: the same { status, headers, body } an HTTP adapter
 * returns, with OpenAI's header names so code that reads them (request id, retry-after) is exercised.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import type { UpstreamResponse } from '../provider-adapter.ts';

type Headers = Record<string, string>;

export interface OpenAIErrorFields {
  readonly message: string;
  readonly type: string;
  readonly param?: string | null;
  readonly code?: string | null;
}

/** OpenAI's request-id shape: "req_" + 32 hex digits. */
export function mockRequestId(): string {
  return `req_${randomBytes(16).toString('hex')}`;
}

/** A short random suffix for ids ("chatcmpl-mock-…", "call_mock_…"); base62 so ids pass strict charsets. */
export function mockIdSuffix(length = 24): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const byte of bytes) out += alphabet[byte % alphabet.length];
  return out;
}

function baseHeaders(startedAt: number): Headers {
  return {
    'x-request-id': mockRequestId(),
    'openai-processing-ms': String(Math.max(1, Math.round(performance.now() - startedAt))),
    'openai-version': '2020-10-01',
  };
}

export function jsonResponse(status: number, body: unknown, startedAt: number, extra: Headers = {}): UpstreamResponse {
  const bytes = Buffer.from(JSON.stringify(body));
  const headers = { ...baseHeaders(startedAt), 'content-type': 'application/json', 'content-length': String(bytes.length), ...extra };
  return { status, headers, body: Readable.from([bytes], { objectMode: false }) };
}

export function openaiErrorResponse(status: number, error: OpenAIErrorFields, startedAt: number, extra: Headers = {}): UpstreamResponse {
  const body = { error: { message: error.message, type: error.type, param: error.param ?? null, code: error.code ?? null } };
  return jsonResponse(status, body, startedAt, extra);
}

/**
 * A text/event-stream response that writes `events` one by one, `delayMs` apart. When `signal` aborts the
 * body is destroyed at once with the signal's reason, as undici does for a real upstream, so generation
 * stops even if nobody is reading.
 */
export function sseResponse(events: readonly string[], delayMs: number, signal: AbortSignal, startedAt: number): UpstreamResponse {
  const body = Readable.from(pace(events, delayMs, signal), { objectMode: false });
  // destroy() is typed for Error, but undici passes any abort reason through unchanged and so do we.
  const onAbort = (): void => { body.destroy(abortReason(signal) as Error); };
  signal.addEventListener('abort', onAbort, { once: true });
  body.once('close', () => signal.removeEventListener('abort', onAbort));
  const headers = { ...baseHeaders(startedAt), 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
  return { status: 200, headers, body };
}

async function* pace(events: readonly string[], delayMs: number, signal: AbortSignal): AsyncGenerator<Buffer> {
  for (const event of events) {
    if (delayMs > 0) await sleep(delayMs, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) return;
    yield Buffer.from(event);
  }
}

/** Waits before answering (time to first byte); rejects with the signal's reason if it aborts first. */
export async function waitOrAbort(delayMs: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw abortReason(signal);
  if (delayMs <= 0) return;
  await sleep(delayMs, undefined, { signal }).catch(() => { throw abortReason(signal); });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

export function sseEvent(data: unknown): string {
  return `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
}
