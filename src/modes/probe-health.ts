import { get } from 'node:http';

/**
 * One GET of a sidecar's health URL: undefined when it answers 2xx within `timeoutMs`, else why not. A fresh
 * connection each time (agent: false): a check must prove the listener still accepts, and it holds no socket
 * between checks.
 */
export function probeHealth(url: string, timeoutMs: number): Promise<string | undefined> {
  return new Promise((resolve) => {
    const signal = AbortSignal.timeout(timeoutMs);
    const request = get(url, { agent: false, signal }, (response) => {
      response.resume();
      const status = response.statusCode ?? 0;
      resolve(status >= 200 && status < 300 ? undefined : `${url} answered HTTP ${status}`);
    });
    request.on('error', (err: NodeJS.ErrnoException) => {
      resolve(signal.aborted ? `${url} did not answer within ${timeoutMs} ms` : `${url}: ${err.code ?? err.message}`);
    });
  });
}
