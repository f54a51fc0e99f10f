import { createServer, connect, type Server, type Socket } from 'node:net';

/** A TCP forwarder the test can cut and restore, standing in for a network path to a store that goes away. */
export interface TcpProxy {
  readonly port: number;
  /** Destroys every open connection and refuses new ones until restore(). */
  cut(): void;
  /** Keeps connections open but forwards nothing either way until restore(): a store that hangs. */
  stall(): void;
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let open = true;
  let stalled = false;
  const server: Server = createServer((client) => {
    if (!open) {
      client.destroy();
      return;
    }
    const upstream = connect(targetPort, targetHost);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => { client.destroy(); upstream.destroy(); });
    }
    // Forwarded chunk by chunk (not piped) so that stall() can swallow them.
    client.on('data', (chunk: Buffer) => { if (!stalled) upstream.write(chunk); });
    upstream.on('data', (chunk: Buffer) => { if (!stalled) client.write(chunk); });
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const destroyAll = (): void => { for (const s of sockets) s.destroy(); };
  return {
    port,
    cut() { open = false; destroyAll(); },
    stall() { stalled = true; },
    restore() { open = true; stalled = false; },
    close: () => new Promise<void>((resolve) => { destroyAll(); server.close(() => resolve()); }),
  };
}
