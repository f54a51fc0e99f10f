// PATCH /api/config on the running Switchboard, with the admin key the harness started it with: how the
// phases that measure another configuration get there without a restart (a restart would lose the
// warmed-up process, its database and its breakers' state, and measure something else).
import { ADMIN_KEY } from './bench-request.ts';
import type { Target } from './target.ts';

/** Applies a JSON merge patch of the shared sections and answers the version now current; throws unless it answered 200. */
export async function patchConfig(target: Target, patch: Record<string, unknown>): Promise<number> {
  const body = JSON.stringify(patch);
  const res = await fetch(`${new URL(target.url).origin}/api/config`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body,
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`PATCH /api/config ${body} answered ${res.status}: ${text.slice(0, 500)}`);
  const { version } = JSON.parse(text) as { version?: unknown };
  return typeof version === 'number' ? version : NaN;
}
