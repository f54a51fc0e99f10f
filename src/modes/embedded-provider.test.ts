import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { Readable } from 'node:stream';
import { describe, it, type TestContext } from 'node:test';
import { providerSchema, type ProviderConfig } from '../config/schema.ts';
import { isGatewayError } from '../errors/gateway-error.ts';
import { createProvider } from '../providers/create-provider.ts';
import type { ProviderAdapter, UpstreamRequest, UpstreamResponse } from '../providers/provider-adapter.ts';
import { captureLogger, findProcesses, fixtureCommand, http, newMarker, tempRunDir } from '../../test/support/sidecar-harness.ts';
import { until } from '../../test/support/until.ts';
import { createEmbeddedProvider, type EmbeddedProvider } from './embedded-provider.ts';

/** The provider's own API: a local server answering in the same dialect, with content that says where it came from. */
async function directUpstream(t: TestContext): Promise<string> {
  const server: Server = createServer((req, res) => {
    req.resume();
    const body = req.url === '/v1/models'
      ? { object: 'list', data: [{ id: 'direct-model', object: 'model', created: 0, owned_by: 'direct' }] }
      : { id: 'chatcmpl-direct', object: 'chat.completion', created: 0, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'from direct' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  }));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/v1`;
}

interface Built {
  readonly provider: EmbeddedProvider;
  /** Every HTTP adapter the factory asked for, with the base URL it was built for and whether it was closed. */
  readonly adapters: Array<{ baseUrl: string; closed: boolean }>;
  readonly marker: string;
}

/** An embedded provider on the fixture sidecar, built by the factory as main.ts will, closed when the test ends. */
function build(t: TestContext, entry: Record<string, unknown>, embedded: Record<string, unknown>): Built {
  const marker = newMarker();
  const config: ProviderConfig = providerSchema.parse({
    name: 'local', type: 'openai-compatible', mode: 'embedded', ...entry,
    embedded: {
      command: fixtureCommand(marker), healthIntervalMs: 50, healthTimeoutMs: 500, restartBackoffMs: 300,
      env: { SIDECAR_TAG: 'env:TEST_SIDECAR_TAG', PLAIN: 'as written' }, ...embedded,
    },
  });
  const adapters: Built['adapters'] = [];
  const httpAdapter = (c: ProviderConfig, baseUrl: string): ProviderAdapter => {
    const adapter = createProvider({ ...c, baseUrl }, {});
    const seen = { baseUrl, closed: false };
    adapters.push(seen);
    const close = adapter.close.bind(adapter);
    adapter.close = () => {
      seen.closed = true;
      return close();
    };
    return adapter;
  };
  const provider = createEmbeddedProvider(config, {
    env: { TEST_SIDECAR_TAG: 'tagged' }, runDir: tempRunDir(t), logger: captureLogger().logger, http: httpAdapter,
  });
  t.after(async () => {
    await provider.close();
    assert.deepEqual(findProcesses(marker), [], 'close() leaves no sidecar process');
  });
  return { provider, adapters, marker };
}

function chat(stream = false): UpstreamRequest {
  const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...(stream ? { stream: true } : {}) });
  return { operation: 'chat', model: 'm', body, stream, headers: {}, signal: AbortSignal.timeout(5000) };
}

async function text(response: UpstreamResponse): Promise<string> {
  if (Buffer.isBuffer(response.body)) return response.body.toString('utf8');
  let out = '';
  for await (const chunk of response.body as Readable) out += String(chunk);
  return out;
}

async function answer(provider: EmbeddedProvider, stream = false): Promise<string> {
  const response = await provider.send(chat(stream));
  assert.equal(response.status, 200);
  return text(response);
}

describe('EmbeddedProvider', () => {
  it('goes through the sidecar while it is ready, direct while it restarts, and through the new sidecar after', async (t) => {
    const direct = await directUpstream(t);
    const { provider, adapters } = build(t, { baseUrl: direct }, {});
    assert.deepEqual([provider.name, provider.kind, provider.format, [...provider.operations]], ['local', 'openai-compatible', 'openai', ['chat', 'embeddings']]);
    await until(() => provider.route === 'sidecar', 'the sidecar route');
    const first = provider.sidecar.status();
    assert.match(await answer(provider), new RegExp(`from sidecar ${first.pid} \\(tagged\\)`), 'embedded.env references are resolved');
    assert.match(await answer(provider, true), new RegExp(`data: .*from sidecar ${first.pid}`), 'streams too');
    assert.deepEqual(await provider.listModels(AbortSignal.timeout(2000)), ['sidecar-model']);
    assert.deepEqual(provider.modeStatus(), { mode: 'embedded', route: 'sidecar', sidecar: provider.sidecar.status() });

    await http(`${provider.sidecar.baseUrl}/crash`, 'POST');
    await until(() => provider.route === 'direct', 'the direct fallback while restarting');
    assert.equal(provider.sidecar.state, 'restarting');
    assert.match(await answer(provider), /from direct/);
    assert.deepEqual(await provider.listModels(AbortSignal.timeout(2000)), ['direct-model']);

    await until(() => provider.route === 'sidecar', 'the restarted sidecar');
    const second = provider.sidecar.status();
    assert.match(await answer(provider), new RegExp(`from sidecar ${second.pid}`));
    const sidecarAdapters = adapters.filter((a) => a.baseUrl !== direct);
    assert.equal(sidecarAdapters[0]?.baseUrl, `http://127.0.0.1:${first.port}/v1`, 'the sidecar is reached under /v1');
    if (second.port !== first.port) {
      assert.deepEqual(sidecarAdapters.map((a) => a.closed), [true, false], 'the adapter of the old port is closed, one per port');
    }

    await provider.close();
    assert.equal(provider.sidecar.state, 'stopped');
    assert.ok(adapters.every((a) => a.closed), 'close() closes every adapter');
  });

  it('falls back to direct when the sidecar has failed', async (t) => {
    const direct = await directUpstream(t);
    const { provider } = build(t, { baseUrl: direct }, { command: ['no-such-sidecar-command-x7'] });
    await until(() => provider.sidecar.state === 'failed', 'the sidecar to fail');
    assert.equal(provider.route, 'direct');
    assert.match(await answer(provider), /from direct/);
    const status = provider.modeStatus();
    assert.equal(status.route, 'direct');
    assert.equal(status.sidecar.state, 'failed');
  });

  it('refuses with SB_SIDECAR_UNAVAILABLE while the sidecar is not ready and fallback is off', async (t) => {
    const { provider, adapters } = build(t, { baseUrl: 'http://127.0.0.1:9/v1' }, { fallback: false });
    assert.equal(adapters.length, 0, 'no direct adapter is built without fallback');
    await assert.rejects(provider.send(chat()), (err) => isGatewayError(err) && err.code === 'SB_SIDECAR_UNAVAILABLE' && err.status === 503 && /"local" is starting/.test(err.message));
    assert.equal(provider.route, 'unavailable');
    await until(() => provider.route === 'sidecar', 'the sidecar route');
    assert.match(await answer(provider), /from sidecar/);
  });

  it('names the provider, the state and the last error when the sidecar failed and fallback is off', async (t) => {
    const { provider } = build(t, { baseUrl: 'http://127.0.0.1:9/v1' }, { fallback: false, command: ['no-such-sidecar-command-x7'] });
    await until(() => provider.sidecar.state === 'failed', 'the sidecar to fail');
    await assert.rejects(provider.send(chat()), (err) => {
      assert.ok(isGatewayError(err));
      assert.equal(err.code, 'SB_SIDECAR_UNAVAILABLE');
      assert.equal(err.retryable, true);
      assert.match(err.message, /The embedded sidecar of provider "local" is failed \(last error: command "no-such-sidecar-command-x7" was not found on PATH\)/);
      return true;
    });
    assert.equal(await provider.listModels(AbortSignal.timeout(1000)), undefined, 'listModels never rejects');
    assert.equal(provider.route, 'unavailable');
  });

  it('reaches an Anthropic sidecar at its root (basePath "")', async (t) => {
    const { provider, adapters } = build(t, { name: 'claude-local', type: 'anthropic' }, { fallback: false });
    assert.deepEqual([provider.format, [...provider.operations]], ['anthropic', ['messages', 'count_tokens']]);
    await until(() => provider.route === 'sidecar', 'the sidecar route');
    const body = JSON.stringify({ model: 'claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    const response = await provider.send({ operation: 'messages', model: 'claude', body, stream: false, headers: {}, signal: AbortSignal.timeout(5000) });
    assert.equal(response.status, 200);
    assert.match(await text(response), /"type":"text","text":"from sidecar \d+/);
    assert.equal(adapters[0]?.baseUrl, `http://127.0.0.1:${provider.sidecar.status().port}`);
  });
});
