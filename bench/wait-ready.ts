// Readiness: a target counts as up only once it answers a real chat completion correctly, not when
// its port opens. Bounded by a deadline; a child that dies meanwhile fails at once with its stderr.
import { CHAT_BODY, REQUEST_HEADERS, STREAM_BODY } from './bench-request.ts';
import { sleep } from './managed-child.ts';
import type { ManagedChild } from './managed-child.ts';

export async function waitReady(name: string, url: string, child: ManagedChild, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited (${child.exitCode}) before it was ready: ${headline(child)}\n${child.stderrTail(30)}`);
    try {
      const res = await fetch(url, { method: 'POST', headers: REQUEST_HEADERS, body: CHAT_BODY, signal: AbortSignal.timeout(3000) });
      const text = await res.text();
      if (res.status === 200 && text.includes('bench-ok')) return;
      last = `HTTP ${res.status}: ${text.slice(0, 300)}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    await sleep(200);
  }
  throw new Error(`${name} not ready after ${timeoutMs / 1000} s (last answer: ${last.split('\n')[0]})\n${child.stderrTail(30)}`);
}

/** The line of stderr most likely to name the problem: the first one mentioning an error. */
function headline(child: ManagedChild): string {
  const lines = child.stderrTail(200).split('\n');
  return (lines.find((l) => /error/i.test(l) && !/^\s+at /.test(l)) ?? lines.at(-1) ?? '').trim().slice(0, 300);
}

/** Null when `stream: true` comes back as SSE with the mock's first chunk and [DONE]; else why not. */
export async function streamProblem(url: string): Promise<string | null> {
  try {
    const res = await fetch(url, { method: 'POST', headers: REQUEST_HEADERS, body: STREAM_BODY, signal: AbortSignal.timeout(10_000) });
    const text = await res.text();
    const type = res.headers.get('content-type') ?? '';
    if (res.status !== 200) return `stream: true answered HTTP ${res.status}: ${text.slice(0, 300)}`;
    if (!type.startsWith('text/event-stream')) return `stream: true answered content-type "${type}"`;
    if (!text.includes('bench-ok') || !text.includes('data: [DONE]')) return `stream: true answer lacks the mock's chunks or [DONE]: ${text.slice(0, 300)}`;
    return null;
  } catch (err) {
    return `stream: true failed: ${err instanceof Error ? err.message : String(err)}`;
  }
}
