import { ADMIN_KEY, type TestGateway } from './start-gateway.ts';

export interface AdminResponse {
  readonly status: number;
  readonly headers: Headers;
  // Test code reads answers loosely; the assertions say what the shape must be.
  readonly body: any;
  readonly text: string;
}

export type AdminCall = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => Promise<AdminResponse>;

/** Calls a test gateway with the admin key (or another one in `authorization`); JSON in, JSON (or nothing) out. */
export function adminCall(gw: () => TestGateway): AdminCall {
  return async (method, path, body, headers = {}) => {
    const res = await fetch(`${gw().url}${path}`, {
      method,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = JSON.parse(text); } catch { parsed = undefined; }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };
}

/** The issue paths of an error answer, sorted. */
export function issuePaths(res: AdminResponse): string[] {
  return ((res.body?.error?.issues ?? []) as Array<{ path: string }>).map((i) => i.path).sort();
}
