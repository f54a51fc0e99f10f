import pino from 'pino';
import { readConfigSources } from '../../src/config/load-config.ts';
import { testDataDir } from './test-data-dir.ts';
import { composeGateway, type Gateway } from '../../src/main.ts';
import { createMemoryStorage } from '../../src/storage/memory/memory-storage.ts';
import type { Storage } from '../../src/storage/ports.ts';

export const ADMIN_KEY = 'sb-test-admin-key-0123456789';

/** Provider credentials every test gateway's environment holds; configs name them as env:OPENAI_PROVIDER_KEY etc. */
export const TEST_SECRETS = Object.freeze({
  OPENAI_PROVIDER_KEY: 'sk-provider-secret-1234567890',
  ANTHROPIC_PROVIDER_KEY: 'sk-ant-provider-secret-123',
});

/**
 * resilience settings for suites that test how one attempt's failure is classified and answered: no retry of the
 * same target, no breaker opening after the suite's deliberate failures.
 */
export const SINGLE_ATTEMPT = Object.freeze({ retries: 0, healthTracking: false });

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
  /** When given, the gateway logs at info into it, one JSON line per entry. */
  readonly logs?: string[];
}

/** Starts a real gateway on 127.0.0.1:0 with in-memory storage and a known admin key. */
export async function startGateway(options: StartOptions = {}): Promise<TestGateway> {
  const env = { SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, LOG_LEVEL: 'silent', ...TEST_SECRETS, ...options.env };
  const sources = readConfigSources({ env, raw: { server: { host: '127.0.0.1', port: 0, metricsPort: 0 }, dataDir: testDataDir(), ...options.config } });
  const storage = options.storage ?? createMemoryStorage();
  const gateway = await composeGateway({ sources, storage, logger: options.logs === undefined ? pino({ level: 'silent' }) : pino({ level: 'info' }, { write: (line: string) => { options.logs?.push(line); } }) });
  await gateway.app.listen({ host: '127.0.0.1', port: 0 });
  const address = gateway.app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return { url: `http://127.0.0.1:${port}`, gateway, storage, close: () => gateway.close() };
}
