import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { describe, it } from 'node:test';
import { freePort } from './free-port.ts';
import { probeHealth } from './probe-health.ts';

async function serve(t: { after: (fn: () => void) => void }, handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server: Server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  t.after(() => server.closeAllConnections());
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address !== null ? address.port : 0}/health`;
}

describe('probeHealth', () => {
  it('is ok on 2xx and says why not otherwise', async (t) => {
    let status = 204;
    const url = await serve(t, (_req, res) => res.writeHead(status).end());
    assert.equal(await probeHealth(url, 1000), undefined);
    status = 503;
    assert.equal(await probeHealth(url, 1000), `${url} answered HTTP 503`);
  });

  it('gives up after the timeout, and names a refused connection', async (t) => {
    const url = await serve(t, () => undefined); // never answers
    assert.equal(await probeHealth(url, 100), `${url} did not answer within 100 ms`);
    const closed = `http://127.0.0.1:${await freePort()}/health`;
    assert.equal(await probeHealth(closed, 1000), `${closed}: ECONNREFUSED`);
  });
});
