import { createServer } from 'node:net';

/**
 * A TCP port on 127.0.0.1 that nothing listens on right now: bound on port 0, read, released. Another process may
 * still take it before the sidecar binds it; the sidecar then exits or fails its health check and is restarted on
 * a fresh port, so the race costs one restart, never a wrong route.
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = address !== null && typeof address === 'object' ? address.port : 0;
      server.close(() => (port === 0 ? reject(new Error('no TCP port was assigned')) : resolve(port)));
    });
  });
}
