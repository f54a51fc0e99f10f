// Starts Switchboard the way production would (`node src/cli/main.ts serve`, same Node binary) with
// auth, usage recording and metrics on, pointed at the mock. While the gateway is still being written
// a missing or failing entry point is not a harness error: the run goes on and reports the reason.
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ADMIN_KEY, CHAT_PATH } from './bench-request.ts';
import { freePorts } from './free-ports.ts';
import { ManagedChild } from './managed-child.ts';
import { pinnedCommand } from './pinning.ts';
import { waitReady } from './wait-ready.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';

/** The Node flags of `npm start` (package.json), so the benchmark measures what production runs. */
const SERVE_NODE_FLAGS = ['--max-semi-space-size=16'];

export type SwitchboardStart =
  | { ok: true; target: Target; dataDir: string; metricsUrl: string }
  | { ok: false; reason: string; dataDir: string | null };

/** `extraEnv`: what a phase's own instance adds (the limits phase's REDIS_URL). */
export async function startSwitchboard(repoRoot: string, upstreamBase: string, pinning: Pinning, timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<SwitchboardStart> {
  const entry = join(repoRoot, 'src/cli/main.ts');
  if (!existsSync(entry)) return { ok: false, reason: 'src/cli/main.ts does not exist yet', dataDir: null };
  const [httpPort, metricsPort] = await freePorts(2);
  const dataDir = mkdtempSync(join(tmpdir(), 'switchboard-bench-'));
  const env = {
    // a small, explicit environment: a developer's REDIS_URL or config file must not change what is measured
    PATH: process.env.PATH, HOME: process.env.HOME, TMPDIR: process.env.TMPDIR,
    HTTP_PORT: String(httpPort), METRICS_PORT: String(metricsPort), SWITCHBOARD_DATA_DIR: dataDir,
    SWITCHBOARD_ADMIN_KEY: ADMIN_KEY, OPENAI_API_KEY: 'dummy', OPENAI_BASE_URL: upstreamBase, LOG_LEVEL: 'warn', ...extraEnv,
  };
  const { command, args } = pinnedCommand(pinning, pinning.targetCpu, process.execPath, [...SERVE_NODE_FLAGS, entry, 'serve']);
  const child = new ManagedChild({ name: 'switchboard', command, args, env, cwd: repoRoot });
  const url = `http://127.0.0.1:${httpPort}${CHAT_PATH}`;
  try {
    await waitReady('switchboard', url, child, timeoutMs);
  } catch (err) {
    await child.stop();
    return { ok: false, reason: err instanceof Error ? err.message : String(err), dataDir };
  }
  return { ok: true, target: { name: 'switchboard', url, child }, dataDir, metricsUrl: `http://127.0.0.1:${metricsPort}/metrics` };
}
