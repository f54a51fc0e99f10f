// Bare pass-through proxy (child process): the least any Node gateway must do — read the request,
// forward it over a keep-alive undici Pool, write the answer back — and nothing more. The yardstick
// for "CPU per request ≤ 1.5–2× a bare proxy". Pool.stream() writes the upstream body straight into
// the client response (about 2× the throughput of request() + pipeline(), shared/bench/README.md).
// Env: UPSTREAM (OpenAI base URL ending in /v1), PORT (0 = any). Prints {"port":N}; exits on stdin end.
import http from 'node:http';
import { Pool } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';

const upstream = new URL(process.env.UPSTREAM ?? 'http://127.0.0.1:18080/v1');
const prefix = upstream.pathname.replace(/\/+$/, ''); // client /v1/x → upstream <prefix>/x
const pool = new Pool(upstream.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
const HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'];
const DROP_REQUEST = new Set([...HOP, 'host', 'content-length']); // undici sets both itself
const DROP_RESPONSE = new Set(HOP);

function pick(headers: IncomingHttpHeaders, drop: Set<string>): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in headers) if (!drop.has(name)) out[name] = headers[name];
  return out;
}

function forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
  const url = req.url ?? '/';
  const path = url.startsWith('/v1/') ? prefix + url.slice(3) : url;
  pool.stream(
    { method: (req.method ?? 'POST') as Dispatcher.HttpMethod, path, headers: pick(req.headers, DROP_REQUEST), body },
    ({ statusCode, headers }) => res.writeHead(statusCode, pick(headers, DROP_RESPONSE)),
    (err) => {
      if (!err) return;
      if (res.headersSent) return void res.destroy(err);
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: err.message, type: 'bad_gateway' } }));
    },
  );
}

const server = http.createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (part: Buffer) => parts.push(part));
  req.on('end', () => forward(req, res, parts.length === 1 && parts[0] ? parts[0] : Buffer.concat(parts)));
});
server.keepAliveTimeout = 120_000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`${JSON.stringify({ port: typeof address === 'object' && address ? address.port : 0 })}\n`);
});
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
