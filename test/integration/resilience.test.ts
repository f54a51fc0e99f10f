/**
 * Retries, fallbacks and breakers end to end: a gateway in front of local upstreams on port 0 that time out,
 * answer 429 with Retry-After, 500, Anthropic's 529, reset the connection, or stall before the first byte.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startGateway, ADMIN_KEY, type TestGateway } from '../support/start-gateway.ts';
import { startReplayServer, type ReplayRoute, type ReplayServer } from '../support/replay-server.ts';
import { until } from '../support/until.ts';
import { usageFor } from '../support/usage-for.ts';

const CHAT = { model: 'primary', messages: [{ role: 'user', content: 'Hello' }] };
const ok: ReplayRoute = { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/chat-basic.json' };
const okStream: ReplayRoute = { method: 'POST', path: '/v1/chat/completions', when: (b) => b.stream === true, fixture: 'openai/chat-stream.sse' };

interface Pair { readonly gateway: TestGateway; readonly primary: ReplayServer; readonly backup: ReplayServer; close(): Promise<void> }

/** A gateway whose model "primary" goes to the `primary` upstream and falls back to "backup". */
async function pair(primaryRoutes: readonly ReplayRoute[], options: { readonly retries?: number; readonly resilience?: Record<string, unknown>; readonly timeoutMs?: number; readonly anthropicPrimary?: boolean } = {}): Promise<Pair> {
  const primary = await startReplayServer(primaryRoutes);
  const backup = await startReplayServer([okStream, ok]);
  const primaryProvider = options.anthropicPrimary === true
    ? { name: 'p', type: 'anthropic', baseUrl: primary.url, apiKey: 'env:ANTHROPIC_PROVIDER_KEY' }
    : { name: 'p', type: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' };
  const gateway = await startGateway({
    config: {
      providers: [
        { ...primaryProvider, retries: options.retries ?? 0, timeoutMs: options.timeoutMs ?? 60_000 },
        { name: 'b', type: 'openai', baseUrl: `${backup.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' },
      ],
      models: [
        { name: 'primary', provider: 'p', model: options.anthropicPrimary === true ? 'claude-sonnet-4-5' : 'gpt-4o-mini', fallbacks: ['backup'] },
        { name: 'backup', provider: 'b', model: 'gpt-4o-mini' },
      ],
      resilience: { backoffBaseMs: 10, backoffMaxMs: 20, ...options.resilience },
    },
  });
  return { gateway, primary, backup, close: async () => { await gateway.close(); await primary.close(); await backup.close(); } };
}

function chat(url: string, body: Record<string, unknown> = CHAT): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

const chatCalls = (server: ReplayServer): number => server.requests.filter((r) => r.path.endsWith('/chat/completions') || r.path.endsWith('/messages')).length;

describe('fallback along the plan on retryable failures', () => {
  const cases: ReadonlyArray<readonly [string, ReplayRoute, { timeoutMs?: number; anthropicPrimary?: boolean }]> = [
    ['500', { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }, {}],
    ['429', { method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-429.json' }, {}],
    ['Anthropic 529 overloaded_error', { method: 'POST', path: '/v1/messages', fixture: 'anthropic/error-529-overloaded.json' }, { anthropicPrimary: true }],
    ['a reset connection', { method: 'POST', path: '/v1/chat/completions', behaviour: 'reset' }, {}],
    ['a stall before the first byte (per-attempt timeout)', { method: 'POST', path: '/v1/chat/completions', behaviour: 'hang' }, { timeoutMs: 300 }],
  ];
  for (const [name, route, options] of cases) {
    it(`falls back to the next target after ${name}, and says which answered`, async () => {
      const p = await pair([route], options);
      try {
        const res = await chat(p.gateway.url);
        assert.equal(res.status, 200, await res.clone().text());
        assert.equal(res.headers.get('x-switchboard-target'), 'b/gpt-4o-mini');
        assert.equal(res.headers.get('x-switchboard-attempts'), '2');
        const records = await usageFor(p.gateway, res.headers.get('x-request-id') ?? '');
        assert.deepEqual(records.filter((r) => r.kind === 'attempt').sort((x, y) => x.attempt - y.attempt).map((r) => r.provider), ['p', 'b'], 'each attempt has its own record');
      } finally {
        await p.close();
      }
    });
  }

  it('falls back for a streamed request too, before any byte reached the caller', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }]);
    try {
      const res = await chat(p.gateway.url, { ...CHAT, stream: true });
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-switchboard-target'), 'b/gpt-4o-mini');
      assert.match(await res.text(), /data: \[DONE\]/);
    } finally {
      await p.close();
    }
  });

  it('never retries once the stream has started: a reset mid-stream ends with an error event', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'reset-mid-stream', fixture: 'openai/chat-stream.sse' }], { retries: 2 });
    try {
      const res = await chat(p.gateway.url, { ...CHAT, stream: true });
      assert.equal(res.status, 200);
      assert.match(await res.text(), /"code":"SB_UPSTREAM_/);
      assert.equal(chatCalls(p.primary), 1);
      assert.equal(chatCalls(p.backup), 0);
    } finally {
      await p.close();
    }
  });

  it('does not fall back after a 4xx the caller caused', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-401.json', status: 400 }]);
    try {
      const res = await chat(p.gateway.url);
      assert.equal(res.status, 400);
      assert.equal(res.headers.get('x-switchboard-attempts'), '1');
      assert.equal(chatCalls(p.backup), 0);
    } finally {
      await p.close();
    }
  });
});

describe('retries of the same target', () => {
  it('retries a 500 with backoff and answers from the same target', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json', times: 2 }, ok], { retries: 2 });
    try {
      const res = await chat(p.gateway.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-switchboard-target'), 'p/gpt-4o-mini');
      assert.equal(res.headers.get('x-switchboard-attempts'), '3');
      const records = await usageFor(p.gateway, res.headers.get('x-request-id') ?? '');
      assert.deepEqual(records.filter((r) => r.kind === 'attempt').sort((x, y) => x.attempt - y.attempt).map((r) => [r.attempt, r.status]), [[1, 500], [2, 500], [3, 200]]);
    } finally {
      await p.close();
    }
  });

  it('honours Retry-After on a 429', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-429.json', headers: { 'retry-after': '1' }, times: 1 }, ok], { retries: 1 });
    try {
      const started = performance.now();
      const res = await chat(p.gateway.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-switchboard-target'), 'p/gpt-4o-mini');
      assert.ok(performance.now() - started >= 950, 'waited about the second asked for');
    } finally {
      await p.close();
    }
  });

  it('holds extra load to the retry budget while the upstream fails every request', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }]);
    const gateway = await startGateway({
      config: {
        providers: [{ name: 'p', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', retries: 3 }],
        resilience: { backoffBaseMs: 1, backoffMaxMs: 2, healthTracking: false, retryBudget: { percent: 20, minRetries: 3, windowMs: 60_000 } },
      },
    });
    try {
      const requests = 100;
      for (let i = 0; i < requests / 10; i++) await Promise.all(Array.from({ length: 10 }, () => chat(gateway.url, { ...CHAT, model: 'p/gpt-4o-mini' }).then((r) => r.arrayBuffer())));
      const extra = chatCalls(upstream) - requests;
      assert.ok(extra <= requests * 0.2 + 3, `${extra} retries for ${requests} requests`);
      assert.ok(extra > 0);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('circuit breaker in the request path', () => {
  it('opens after consecutive failures, then sends requests straight to the fallback and shows it in the overview', async () => {
    const p = await pair([{ method: 'POST', path: '/v1/chat/completions', fixture: 'openai/error-500.json' }], {
      resilience: { breaker: { consecutiveFailures: 3, openMs: 60_000 }, ejection: { consecutiveFailures: 100 } },
    });
    try {
      for (let i = 0; i < 3; i++) assert.equal((await chat(p.gateway.url)).status, 200);
      assert.equal(chatCalls(p.primary), 3);
      const res = await chat(p.gateway.url);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('x-switchboard-attempts'), '1', 'the open target is skipped, not tried');
      assert.equal(chatCalls(p.primary), 3);
      const overview = await (await fetch(`${p.gateway.url}/api/health/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).json() as {
        status: string; endpoints: Array<{ provider: string; breaker: string; available: boolean; consecutiveFailures: number }>;
      };
      assert.equal(overview.status, 'degraded');
      const primary = overview.endpoints.find((e) => e.provider === 'p');
      assert.equal(primary?.breaker, 'open');
      assert.equal(primary?.available, false);
      const metrics = await (await fetch(`${p.gateway.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } })).text();
      assert.match(metrics, /switchboard_circuit_state\{endpoint="provider:p"\} 2/);
      assert.match(metrics, /switchboard_health_transitions_total\{endpoint="provider:p",kind="breaker",to="open"\} 1/);
    } finally {
      await p.close();
    }
  });

  it('answers SB_NO_HEALTHY_TARGET with Retry-After when every target is out of service', async () => {
    const upstream = await startReplayServer([{ method: 'POST', path: '/v1/chat/completions', behaviour: 'reset' }]);
    const gateway = await startGateway({
      config: {
        providers: [{ name: 'p', type: 'openai', baseUrl: `${upstream.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', retries: 0 }],
        resilience: { breaker: { consecutiveFailures: 2, openMs: 30_000 } },
      },
    });
    try {
      for (let i = 0; i < 2; i++) assert.equal((await chat(gateway.url, { ...CHAT, model: 'p/gpt-4o-mini' })).status, 502);
      const res = await chat(gateway.url, { ...CHAT, model: 'p/gpt-4o-mini' });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('x-switchboard-error-code'), 'SB_NO_HEALTHY_TARGET');
      assert.ok(Number(res.headers.get('retry-after')) >= 25);
      const body = await res.json() as { error: { message: string } };
      assert.match(body.error.message, /p\/gpt-4o-mini \(circuit breaker open\)/);
      assert.equal(chatCalls(upstream), 2);
    } finally {
      await gateway.close();
      await upstream.close();
    }
  });
});

describe('active health checks', () => {
  it('take a provider out of service after failed probes and back after good ones', async () => {
    const primary = await startReplayServer([
      { method: 'GET', path: '/health', fixture: 'openai/error-500.json', times: 3 },
      { method: 'GET', path: '/health', fixture: 'openai/models.json' },
      ok,
    ]);
    const backup = await startReplayServer([ok]);
    const gateway = await startGateway({
      config: {
        providers: [
          { name: 'p', type: 'openai', baseUrl: `${primary.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY', healthCheck: { url: `${primary.url}/health`, intervalMs: 100, timeoutMs: 500, unhealthyThreshold: 2, healthyThreshold: 2 } },
          { name: 'b', type: 'openai', baseUrl: `${backup.url}/v1`, apiKey: 'env:OPENAI_PROVIDER_KEY' },
        ],
        models: [{ name: 'primary', provider: 'p', model: 'gpt-4o-mini', fallbacks: ['backup'] }, { name: 'backup', provider: 'b', model: 'gpt-4o-mini' }],
      },
    });
    const probe = async (): Promise<{ healthy: boolean; lastError: string | null } | null> => {
      const res = await fetch(`${gateway.url}/api/health/overview`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
      const body = await res.json() as { endpoints: Array<{ provider: string; probe: { healthy: boolean; lastError: string | null } | null }> };
      return body.endpoints.find((e) => e.provider === 'p')?.probe ?? null;
    };
    try {
      await until(async () => (await probe())?.healthy === false, 'unhealthy after two failed probes', 5000);
      assert.match((await probe())?.lastError ?? '', /500/);
      const res = await chat(gateway.url);
      assert.equal(res.headers.get('x-switchboard-target'), 'b/gpt-4o-mini');
      assert.equal(res.headers.get('x-switchboard-attempts'), '1', 'not even tried');
      await until(async () => (await probe())?.healthy === true, 'healthy again after two good probes', 5000);
      const back = await chat(gateway.url);
      assert.equal(back.headers.get('x-switchboard-target'), 'p/gpt-4o-mini');
    } finally {
      await gateway.close();
      await primary.close();
      await backup.close();
    }
  });
});

describe('bad input', () => {
  it('refuses an invalid health-check URL and a proxy mode without its URL, with the field at fault', async () => {
    const { buildConfig, fileInput } = await import('../../src/config/build-config.ts');
    const build = (file: Record<string, unknown>) => buildConfig({ ...fileInput(file), env: {}, source: 'test' });
    assert.throws(() => build({ providers: [{ name: 'p', type: 'openai', healthCheck: { url: 'not a url' } }] }), /providers\.0\.healthCheck\.url/);
    assert.throws(() => build({ providers: [{ name: 'p', type: 'openai', healthCheck: { url: 'ftp://x/health' } }] }), /providers\.0\.healthCheck\.url/);
    assert.throws(() => build({ providers: [{ name: 'p', type: 'openai', mode: 'proxy' }] }), /providers\.0\.proxy/);
    assert.throws(() => build({ providers: [{ name: 'p', type: 'openai', mode: 'embedded', embedded: {} }] }), /providers\.0\.embedded\.command/);
    assert.throws(() => build({ models: [{ name: 'x', provider: 'mock', fallbacks: ['nowhere'] }], providers: [{ name: 'mock', type: 'mock' }] }), /models\.0\.fallbacks\.0/);
  });

  it('answers an SB_* code per request when a proxy URL does not answer, and never hangs', async () => {
    const gateway = await startGateway({
      config: { providers: [{ name: 'p', type: 'openai', mode: 'proxy', proxy: { baseUrl: 'http://127.0.0.1:9/v1', retries: 1 } }], resilience: { backoffBaseMs: 1 } },
    });
    try {
      const res = await chat(gateway.url, { ...CHAT, model: 'p/gpt-4o-mini' });
      assert.equal(res.status, 502);
      assert.equal(res.headers.get('x-switchboard-error-code'), 'SB_UPSTREAM_UNREACHABLE');
      assert.equal(res.headers.get('x-switchboard-attempts'), '2', 'proxy.retries is the target\'s retry count');
    } finally {
      await gateway.close();
    }
  });
});
