import pino from 'pino';
import type { Logger } from 'pino';

/** Paths whose values never reach a log line, whatever logs them. */
export const REDACT_PATHS = [
  'req.headers.authorization', 'req.headers["x-api-key"]', 'req.headers["api-key"]', 'headers.authorization',
  'headers["x-api-key"]', 'headers["api-key"]', '*.apiKey', 'apiKey', 'adminKey', '*.adminKey', 'key', '*.key',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' }, base: { service: 'switchboard' } });
}
