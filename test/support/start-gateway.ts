import pino from 'pino';
import { loadConfig } from '../../src/config/load-config.ts';
import { composeGateway, type Gateway } from '../../src/main.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import type { Storage } from '../../src/storage/ports.ts';

export const ADMIN_KEY = 'sb-test-admin-key-0123456789';

export interface TestGateway {
  readonly url: string;
  readonly gateway: Gateway;
  readonly storage: Storage;
  close(): Promise<void>;
}

export interface StartOptions {
  /** Raw configuration tree (as a YAML file would hold it). */
  readonly config?: Record<string, unknown>;
  /** Environment seen by the config loader and the providers (no process.env leaks in). */
  readonly env?: Record<string, string>;
  readonly storage?: Storage;
}

/** Starts a real gateway on 127.0.0.1:0 with in-memory storage and a known admin key. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const env = { SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', ...options.env };
  const config = loadConfig({ env, file: undefined, raw: { server: { host: '127.0.0.1', port: 0, metricsPort: 0 }, ...options.config } });
  const storage = options.storage ?? createMemoryStorage();
  const gateway = await composeGateway({ config, env, storage, logger: pino({ level: 'silent' }) });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, gateway, storage, close: () => gateway.close() };
}
