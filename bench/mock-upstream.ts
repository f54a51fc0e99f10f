// Mock OpenAI upstream (child process). POST …/chat/completions answers a fixed chat.completion, or
// with `stream: true` SSE_CHUNKS (50) chat.completion.chunk events SSE_DELAY_MS (10) apart, the first
// at once, then a usage chunk if stream_options.include_usage, then `data: [DONE]` — OpenAI's wire
// format. Every chunk carries content, so a gateway that drops empty deltas is not mistaken for a
// slow one. Prints {"port":N} once listening; exits when its stdin closes (the harness went away).
import http from 'node:http';

const CHUNKS = Math.max(2, Number(process.env.SSE_CHUNKS ?? 50));
const DELAY_MS = Number(process.env.SSE_DELAY_MS ?? 10);
const FIXED = JSON.stringify({
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-4o-mini',
  system_fingerprint: 'fp_bench',
  choices: [{
    index: 0,
    message: { role: 'assistant', content: 'bench-ok: Hello! This is a fixed reply from the mock upstream, long enough to look like a short real answer from a chat model.', refusal: null },
    logprobs: null,
    finish_reason: 'stop',
  }],
  usage: { prompt_tokens: 24, completion_tokens: 28, total_tokens: 52 },
});
const FIXED_BYTES = Buffer.byteLength(FIXED);
const CHUNK_BASE = { id: 'chatcmpl-bench-sse', object: 'chat.completion.chunk', created: 1700000000, model: 'gpt-4o-mini', system_fingerprint: 'fp_bench' };

interface ChatRequest {
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function chunk(i: number, withUsage: boolean): string {
  const delta = i === 0 ? { role: 'assistant', content: 'bench-ok' } : i < CHUNKS - 1 ? { content: ` tok${i}` } : {};
  const choice = { index: 0, delta, logprobs: null, finish_reason: i === CHUNKS - 1 ? 'stop' : null };
  // With include_usage OpenAI sends "usage": null on every content chunk.
  const event = withUsage ? { ...CHUNK_BASE, choices: [choice], usage: null } : { ...CHUNK_BASE, choices: [choice] };
  return `data: ${JSON.stringify(event)}\n\n`;
}

function usageChunk(): string {
  const usage = { prompt_tokens: 24, completion_tokens: CHUNKS, total_tokens: 24 + CHUNKS };
  return `data: ${JSON.stringify({ ...CHUNK_BASE, choices: [], usage })}\n\n`;
}

function stream(res: http.ServerResponse, withUsage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive' });
  let i = 0;
  const next = (): void => {
    if (res.destroyed) return;
    res.write(chunk(i, withUsage));
    if (++i < CHUNKS) return void setTimeout(next, DELAY_MS);
    if (withUsage) res.write(usageChunk());
    res.end('data: [DONE]\n\n');
  };
  next();
}

function answer(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  if (req.method !== 'POST' || !(req.url ?? '').split('?')[0]?.endsWith('/chat/completions')) {
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"message":"mock-upstream: unknown path","type":"invalid_request_error","param":null,"code":null}}');
    return;
  }
  let body: ChatRequest = {};
  try {
    body = JSON.parse(raw || '{}') as ChatRequest;
  } catch {
    // not JSON: answer like a non-streaming request, the bench only checks gateways pass bytes through
  }
  if (body.stream === true) return stream(res, body.stream_options?.include_usage === true);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': FIXED_BYTES });
  res.end(FIXED);
}

const server = http.createServer((req, res) => {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (part: string) => (raw += part));
  req.on('end', () => answer(req, res, raw));
});
// Longer than the gap between two cells of the same target, so pooled upstream connections survive.
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
