// The part of autocannon 9's programmatic API that bench/json-load.ts uses (the package ships no types).
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonOptions {
    url: string;
    method?: string;
    connections?: number;
    duration?: number;
    body?: string;
    headers?: Record<string, string>;
    timeout?: number;
  }

  export interface AutocannonResult {
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
    '2xx': number;
    requests: { total: number; sent: number };
    throughput: { total: number };
  }

  interface AutocannonInstance extends EventEmitter {
    on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
    stop(): void;
  }

  function autocannon(options: AutocannonOptions, done: (err: Error | null, result: AutocannonResult) => void): AutocannonInstance;
  export default autocannon;
}
