import assert from 'node:assert/strict';
import { ADMIN_KEY, type TestGateway } from './start-gateway.ts';

/** A usage record as GET /api/usage returns it (the fields tests look at). */
export interface Rec { kind: string; attempt: number; outcome: string; outputTokens: number; inputTokens: number; requestId: string; status: number; errorCode: string | null; provider: string | null }

/** Flushes the gateway's usage queue and reads the records of one request through the admin API. */
export async function usageFor(gw: TestGateway, requestId: string): Promise<Rec[]> {
  await gw.gateway.deps.usage.flush();
  const res = await fetch(`${gw.url}/api/usage?request_id=${encodeURIComponent(requestId)}`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } });
  assert.equal(res.status, 200);
  return ((await res.json()) as { data: Rec[] }).data;
}
