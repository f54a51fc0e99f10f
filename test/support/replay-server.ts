/**
 * A local HTTP server that stands in for a provider: it replays recorded wire traffic from test/fixtures
 * (see test/fixtures/README.md) or misbehaves on purpose (hang, reset, garbage, reset mid-stream, large answers
 * held half-sent, a stream line that never ends), and captures every request so tests can assert what the
 * gateway sent upstream. Binds 127.0.0.1 on port 0.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { extname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const FIXTURES_DIR = join(import.meta.dirname, '..', 'fixtures');

export interface CapturedRequest {
  readonly method: string;
  /** Path with query string, as received (e.g. "/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21"). */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

export type RequestBody = Readonly<Record<string, unknown>>;

interface RouteMatch {
  readonly method: string;
  /** A string matches the path without its query, or the full path; a RegExp is tested against the full path. */
  readonly path: string | RegExp;
  /** Optional test on the parsed JSON body (`{}` when the body is not a JSON object), e.g. `(b) => b.stream === true`. */
  readonly when?: (body: RequestBody) => boolean;
  /** Answer at most this many requests, then let later routes match (e.g. one 500, then a success). */
  readonly times?: number;
}

/** Replays a fixture: `<provider>/<name>.json` ({ status, headers, body }) or `<provider>/<name>.sse`. */
export interface FixtureReply {
  readonly fixture: string;
  /** Pause between SSE events (chunks); 0 writes them back to back, still as separate writes. */
  readonly chunkDelayMs?: number;
  /** Overrides the recorded status. */
  readonly status?: number;
  /** Added to (and overriding) the recorded headers. */
  readonly headers?: Readonly<Record<string, string>>;
}

export type ReplayBehaviour =
  /** Accept the request and never answer (until close()). */
  | { readonly behaviour: 'hang' }
  /** Read the request, then reset the connection (RST) without answering. */
  | { readonly behaviour: 'reset' }
  /** 200 application/json whose body is truncated, invalid JSON. */
  | { readonly behaviour: 'garbage' }
  /** Send the fixture's status, headers and first `eventsBeforeReset` SSE events (default 2), then destroy the socket. */
  | { readonly behaviour: 'reset-mid-stream'; readonly fixture: string; readonly eventsBeforeReset?: number; readonly chunkDelayMs?: number }
  /**
   * 200 application/json: an OpenAI chat completion of exactly `bytes` bytes (see largeJsonBody), written `chunkBytes`
   * (default 64 KiB) at a time. With `hold`, the last chunk waits for the promise hold() returns, so a test can keep
   * several answers half-read at once; with `resetBeforeEnd` the socket is destroyed instead of sending it.
   */
  | { readonly behaviour: 'large-json'; readonly bytes: number; readonly chunkBytes?: number; readonly hold?: () => Promise<unknown>; readonly resetBeforeEnd?: boolean }
  /**
   * 200 text/event-stream: `data: ` and then `x` after `x`, never a newline, until the client hangs up or
   * `maxBytes` (default 256 MiB) went out. Each write waits for the last one, so how much went out follows how
   * much the client read; onEnd reports it.
   */
  | { readonly behaviour: 'endless-line'; readonly maxBytes?: number; readonly onEnd?: (report: EndlessLineReport) => void };

/** How an 'endless-line' answer ended. */
export interface EndlessLineReport {
  /** Bytes handed to the socket (the client read them, or they sat in socket buffers). */
  readonly sentBytes: number;
  /** The client closed the connection before maxBytes went out. */
  readonly clientClosed: boolean;
}

export type ReplayRoute = RouteMatch & (FixtureReply | ReplayBehaviour);

export interface ReplayServer {
  /** Origin, e.g. "http://127.0.0.1:40123" (no trailing slash). */
  readonly url: string;
  /** Every request received, matched or not, in arrival order. */
  readonly requests: CapturedRequest[];
  /** Stops listening and destroys every open socket, hung requests included. */
  close(): Promise<void>;
}

interface Recording {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[]>>;
  /** The body as written on the wire: one chunk for JSON, one per event for SSE. */
  readonly chunks: readonly string[];
}

interface LoadedRoute {
  readonly route: ReplayRoute;
  readonly recording: Recording | undefined;
  used: number;
}

/** What the body of the 'garbage' behaviour looks like: a completion cut off mid-way. */
export const GARBAGE_BODY = '{"id":"chatcmpl-garbage","object":"chat.completion","created":1741569952,"choices":[{"index":0,"message":{"role":"assis';

/** Headers the server computes itself; recorded values would be wrong once the body is re-encoded. */
const COMPUTED_HEADERS = new Set(['content-length', 'transfer-encoding', 'connection', 'content-encoding', 'keep-alive']);

export async function startReplayServer(routes: readonly ReplayRoute[]): Promise<ReplayServer> {
  const loaded: LoadedRoute[] = routes.map((route) => ({ route, recording: 'fixture' in route ? loadFixture(route.fixture) : undefined, used: 0 }));
  const requests: CapturedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => { void handle(req, res, loaded, requests); });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('replay server: no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, routes: LoadedRoute[], requests: CapturedRequest[]): Promise<void> {
  const body = await readBody(req);
  const path = req.url ?? '/';
  requests.push({ method: req.method ?? 'GET', path, headers: req.headers, body });
  const match = routes.find((r) => matches(r, req.method ?? 'GET', path, body));
  if (match === undefined) {
    sendJson(res, 404, { error: { message: `replay server: no route for ${req.method} ${path}`, type: 'replay_no_route' } });
    return;
  }
  match.used++;
  await reply(match, res);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

function matches(loaded: LoadedRoute, method: string, path: string, body: string): boolean {
  const { route } = loaded;
  if (route.times !== undefined && loaded.used >= route.times) return false;
  if (route.method.toUpperCase() !== method.toUpperCase()) return false;
  const pathOk = typeof route.path === 'string' ? route.path === path || route.path === path.split('?')[0] : route.path.test(path);
  return pathOk && (route.when === undefined || route.when(parseBody(body)));
}

function parseBody(body: string): RequestBody {
  try {
    const json: unknown = JSON.parse(body);
    return typeof json === 'object' && json !== null && !Array.isArray(json) ? (json as RequestBody) : {};
  } catch {
    return {};
  }
}

async function reply(loaded: LoadedRoute, res: ServerResponse): Promise<void> {
  const { route, recording } = loaded;
  if (!('behaviour' in route)) return replay(res, withOverrides(recording!, route), route.chunkDelayMs ?? 0);
  switch (route.behaviour) {
    case 'hang': return; // the socket stays open until the client gives up or close() destroys it
    case 'reset': res.socket?.resetAndDestroy(); return;
    case 'garbage': return sendRaw(res, 200, { 'content-type': 'application/json' }, GARBAGE_BODY);
    case 'reset-mid-stream': return resetMidStream(res, recording!, route.eventsBeforeReset ?? 2, route.chunkDelayMs ?? 0);
    case 'large-json': return largeJson(res, route);
    case 'endless-line': return endlessLine(res, route);
  }
}

function withOverrides(recording: Recording, route: FixtureReply): Recording {
  return { ...recording, status: route.status ?? recording.status, headers: { ...recording.headers, ...route.headers } };
}

/** Writes each chunk separately so the client sees the recorded event boundaries. */
async function replay(res: ServerResponse, recording: Recording, delayMs: number): Promise<void> {
  res.writeHead(recording.status, recording.headers);
  for (const [i, chunk] of recording.chunks.entries()) {
    if (i > 0 && delayMs > 0) await sleep(delayMs);
    if (res.destroyed) return;
    await write(res, chunk);
  }
  res.end();
}

async function resetMidStream(res: ServerResponse, recording: Recording, events: number, delayMs: number): Promise<void> {
  res.writeHead(recording.status, recording.headers);
  for (const chunk of recording.chunks.slice(0, events)) {
    await write(res, chunk);
    if (delayMs > 0) await sleep(delayMs);
  }
  // Let the events reach the client before the connection drops, so it sees a stream cut short, not no stream.
  await sleep(20);
  res.socket?.destroy();
}

/** Prefix and suffix of largeJsonBody; the assistant's content fills the bytes between them. */
const LARGE_JSON_HEAD = '{"id":"chatcmpl-large","object":"chat.completion","created":1741569952,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"';
const LARGE_JSON_TAIL = '"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1,"total_tokens":10}}';

/** A valid OpenAI chat completion of exactly `bytes` bytes (at least 256): its content is "x" repeated. */
export function largeJsonBody(bytes: number): Buffer {
  const pad = bytes - LARGE_JSON_HEAD.length - LARGE_JSON_TAIL.length;
  if (pad < 0) throw new Error(`replay server: large-json needs at least ${bytes - pad} bytes`);
  return Buffer.from(LARGE_JSON_HEAD + 'x'.repeat(pad) + LARGE_JSON_TAIL);
}

async function largeJson(res: ServerResponse, route: Extract<ReplayBehaviour, { behaviour: 'large-json' }>): Promise<void> {
  const body = largeJsonBody(route.bytes);
  const step = route.chunkBytes ?? 64 * 1024;
  const last = Math.max(0, body.length - step);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
  for (let at = 0; at < last; at += step) await write(res, body.subarray(at, Math.min(at + step, last)));
  if (route.hold !== undefined) await route.hold();
  if (res.destroyed) return;
  if (route.resetBeforeEnd === true) {
    res.socket?.destroy();
    return;
  }
  res.end(body.subarray(last));
}

async function endlessLine(res: ServerResponse, route: Extract<ReplayBehaviour, { behaviour: 'endless-line' }>): Promise<void> {
  const maxBytes = route.maxBytes ?? 256 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'x');
  res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
  let sentBytes = 0;
  await write(res, 'data: ');
  sentBytes += 6;
  while (!res.destroyed && sentBytes < maxBytes) {
    await write(res, chunk);
    sentBytes += chunk.length;
  }
  const clientClosed = res.destroyed;
  if (!clientClosed) res.end();
  route.onEnd?.({ sentBytes, clientClosed });
}

/** Resolves once the chunk is written, or when the connection closes first (a pending write never calls back then). */
function write(res: ServerResponse, chunk: string | Buffer): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed) return resolve();
    res.once('close', resolve);
    res.write(chunk, () => {
      res.off('close', resolve);
      resolve();
    });
  });
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  sendRaw(res, status, { 'content-type': 'application/json' }, JSON.stringify(body));
}

function sendRaw(res: ServerResponse, status: number, headers: Record<string, string>, body: string): void {
  res.writeHead(status, { ...headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

/** Reads a fixture once, when the server starts, so a missing or malformed file fails the test at setup. */
export function loadFixture(name: string): Recording {
  const file = join(FIXTURES_DIR, name);
  const raw = readFileSync(file, 'utf8');
  if (extname(name) === '.sse') return { status: 200, headers: streamHeaders(name), chunks: splitEvents(raw) };
  if (extname(name) !== '.json') throw new Error(`replay server: fixture ${name} must end in .json or .sse`);
  const recorded = JSON.parse(raw) as { status?: unknown; headers?: Record<string, string | string[]>; body?: unknown };
  if (typeof recorded.status !== 'number' || recorded.body === undefined) throw new Error(`replay server: fixture ${name} needs "status" and "body"`);
  const body = typeof recorded.body === 'string' ? recorded.body : JSON.stringify(recorded.body);
  return { status: recorded.status, headers: { 'content-type': 'application/json', ...cleanHeaders(recorded.headers ?? {}), 'content-length': String(Buffer.byteLength(body)) }, chunks: [body] };
}

/** SSE responses take their provider's recorded stream headers from `<provider>/_stream-headers.json`, if present. */
function streamHeaders(name: string): Record<string, string | string[]> {
  const base = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' };
  const provider = name.split('/')[0] ?? '';
  let recorded: Record<string, string | string[]> = {};
  try {
    recorded = (JSON.parse(readFileSync(join(FIXTURES_DIR, provider, '_stream-headers.json'), 'utf8')) as { headers: Record<string, string | string[]> }).headers;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  return { ...base, ...cleanHeaders(recorded) };
}

function cleanHeaders(headers: Readonly<Record<string, string | string[]>>): Record<string, string | string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([k]) => !COMPUTED_HEADERS.has(k.toLowerCase())));
}

/** Splits recorded SSE bytes into events, each keeping its terminating blank line, so the chunks rejoin exactly. */
export function splitEvents(raw: string): string[] {
  return raw.match(/[\s\S]*?(?:\r?\n\r?\n|$)/g)?.filter((e) => e !== '') ?? [];
}
