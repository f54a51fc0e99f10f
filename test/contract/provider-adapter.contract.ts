import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { GatewayError } from '../../src/errors/gateway-error.ts';
import type { Operation, ProviderAdapter, ProviderKind, UpstreamRequest, UpstreamResponse, WireFormat } from '../../src/providers/provider-adapter.ts';

/** The requests a subject's upstream answers in a known way, each without its signal. */
export type Scenario =
  /** Answered 200 with a JSON body. */
  | 'json'
  /** Answered 200 with an SSE stream, quickly. */
  | 'stream'
  /** Answered with an error status (`errorStatus`). */
  | 'error'
  /** Held (no headers) for at least 100 ms, so a signal can abort it before the answer. */
  | 'slow'
  /** Answered with an SSE stream whose events are at least 100 ms apart, so a signal can abort it mid-body. */
  | 'slowStream';

/** One adapter set up against its upstream (a replay server, or none for the in-process mock). */
export interface AdapterSubject {
  readonly adapter: ProviderAdapter;
  readonly requests: Readonly<Record<Scenario, Omit<UpstreamRequest, 'signal'>>>;
  readonly errorStatus: number;
  /** What listModels() answers: the upstream's list, or undefined for a provider that offers none. */
  readonly models: readonly string[] | undefined;
  /** Closes the adapter (again: close() twice is part of the contract) and its upstream. */
  close(): Promise<void>;
}

export interface AdapterExpectations {
  readonly kind: ProviderKind;
  readonly format: WireFormat;
  readonly operations: readonly Operation[];
  /**
   * The same kind of adapter pointed at an upstream nobody listens on; none for adapters without an upstream.
   */
  readonly unreachable?: () => Promise<ProviderAdapter>;
}

export type MakeAdapterSubject = () => Promise<AdapterSubject>;

/**
 * The ProviderAdapter seam's semantics (src/providers/provider-adapter.ts); every adapter runs this suite
 * (test/contract/provider-adapter.contract.test.ts). Each test gets a fresh adapter and upstream.
 */
export function runProviderAdapterContract(name: string, expected: AdapterExpectations, make: MakeAdapterSubject): void {
  describe(`ProviderAdapter contract: ${name}`, () => {
    let current: AdapterSubject | undefined;
    beforeEach(async () => { current = await make(); });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });
    const subject = (): AdapterSubject => {
      if (current === undefined) throw new Error('the subject is only available inside a test');
      return current;
    };
    const send = (scenario: Scenario, signal: AbortSignal = new AbortController().signal): Promise<UpstreamResponse> =>
      subject().adapter.send({ ...subject().requests[scenario], signal });

    it('names its provider, kind, wire format and operations', () => {
      const { adapter } = subject();
      assert.equal(typeof adapter.name, 'string');
      assert.notEqual(adapter.name, '');
      assert.equal(adapter.kind, expected.kind);
      assert.equal(adapter.format, expected.format);
      assert.deepEqual([...adapter.operations].sort(), [...expected.operations].sort());
      const own = adapter.format === 'openai' ? ['chat', 'embeddings', 'responses'] : ['messages', 'count_tokens'];
      for (const op of adapter.operations) assert.ok(own.includes(op), `${op} is not a ${adapter.format}-format operation`);
    });

    it('answers a non-streaming request with 200, headers and the whole JSON body', async () => {
      const res = await send('json');
      assert.equal(res.status, 200);
      assert.equal(typeof res.headers, 'object');
      assert.match(String(res.headers['content-type']), /application\/json/);
      assert.ok(Buffer.isBuffer(res.body) || res.body instanceof Readable);
      const json: unknown = JSON.parse(await bodyText(res));
      assert.equal(typeof json, 'object');
      assert.notEqual(json, null);
    });

    it('answers a streaming request with a Readable of SSE bytes', async () => {
      const res = await send('stream');
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/event-stream/);
      assert.ok(res.body instanceof Readable, 'a stream body is a Readable');
      const text = await bodyText(res);
      assert.match(text, /^(event: [^\n]+\n)?data: /);
      assert.ok(text.endsWith('\n\n'), 'whole events');
    });

    it('resolves a streaming request at headers time, before the body has arrived', async () => {
      const controller = new AbortController();
      const res = await send('slowStream', controller.signal);
      assert.equal(res.status, 200);
      assert.ok(res.body instanceof Readable);
      assert.equal(res.body.readableEnded, false);
      controller.abort(new GatewayError('SB_CLIENT_DISCONNECTED'));
      res.body.on('error', () => undefined);
      res.body.resume();
    });

    it('resolves (does not reject) with an upstream error status', async () => {
      const res = await send('error');
      assert.equal(res.status, subject().errorStatus);
      assert.ok(res.status >= 400);
      const json = JSON.parse(await bodyText(res)) as { error?: unknown };
      assert.ok(json.error !== undefined, 'the provider\'s error body');
    });

    it('rejects with the signal\'s GatewayError when the signal is already aborted', async () => {
      const reason = new GatewayError('SB_UPSTREAM_TIMEOUT');
      await assert.rejects(send('json', AbortSignal.abort(reason)), (err: unknown) => err === reason);
      await assert.rejects(send('stream', AbortSignal.abort(reason)), (err: unknown) => err === reason);
    });

    it('rejects with the signal\'s reason or a GatewayError for any other abort reason', async () => {
      const reason = new Error('caller went away');
      await assert.rejects(send('json', AbortSignal.abort(reason)), (err: unknown) => err === reason || err instanceof GatewayError);
    });

    it('rejects promptly when the signal aborts before the answer', async () => {
      const controller = new AbortController();
      const reason = new GatewayError('SB_CLIENT_DISCONNECTED');
      const pending = send('slow', controller.signal);
      setTimeout(() => controller.abort(reason), 20);
      const started = performance.now();
      await assert.rejects(pending, (err: unknown) => err === reason);
      assert.ok(performance.now() - started < 1_000, 'did not wait for the answer');
    });

    it('destroys a stream body when the signal aborts mid-stream', async () => {
      const controller = new AbortController();
      const res = await send('slowStream', controller.signal);
      const body = res.body as Readable;
      const events = body[Symbol.asyncIterator]();
      assert.equal((await events.next()).done, false, 'a first chunk');
      const abortedAt = performance.now();
      controller.abort(new GatewayError('SB_CLIENT_DISCONNECTED'));
      await assert.rejects(drain(events));
      assert.ok(performance.now() - abortedAt < 1_000, 'stopped without waiting for the stream\'s end');
      assert.equal(body.destroyed, true);
    });

    it('rejects with SB_UPSTREAM_UNREACHABLE when nobody listens upstream', { skip: expected.unreachable === undefined && 'no upstream' }, async () => {
      const adapter = await expected.unreachable!();
      try {
        await assert.rejects(adapter.send({ ...subject().requests.json, signal: new AbortController().signal }),
          (err: unknown) => err instanceof GatewayError && err.code === 'SB_UPSTREAM_UNREACHABLE');
        assert.equal(await adapter.listModels(new AbortController().signal), undefined, 'a list it cannot read is undefined');
      } finally {
        await adapter.close();
      }
    });

    it('lists its models as strings, or undefined when it offers no list', async () => {
      const models = await subject().adapter.listModels(new AbortController().signal);
      assert.deepEqual(models, subject().models);
      for (const id of models ?? []) assert.equal(typeof id, 'string');
    });

    it('never rejects listModels, whatever the signal or state', async () => {
      const { adapter } = subject();
      const aborted = await adapter.listModels(AbortSignal.abort());
      assert.ok(aborted === undefined || aborted.every((id) => typeof id === 'string'));
      await adapter.close();
      const closed = await adapter.listModels(new AbortController().signal);
      assert.ok(closed === undefined || closed.every((id) => typeof id === 'string'));
    });

    it('closes, twice too', async () => {
      await subject().adapter.close();
      await subject().adapter.close();
    });
  });
}

async function bodyText(res: UpstreamResponse): Promise<string> {
  if (Buffer.isBuffer(res.body)) return res.body.toString('utf8');
  const chunks: Buffer[] = [];
  for await (const chunk of res.body) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks).toString('utf8');
}

async function drain(events: AsyncIterator<unknown>): Promise<void> {
  while (!(await events.next()).done) { /* read to the end or the error */ }
}
