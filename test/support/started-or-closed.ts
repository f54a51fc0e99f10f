/** Starts a server process a test made; when it cannot start, closes it (its folder, its port) and rethrows. */
export async function startedOrClosed<T extends { start(): Promise<void>; close(): Promise<void> }>(server: T): Promise<T> {
  try {
    await server.start();
  } catch (err) {
    await server.close();
    throw err;
  }
  return server;
}
