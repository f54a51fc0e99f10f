import type { EndpointCircuit } from './endpoint-circuit.ts';
import type { EndpointRef } from './health-registry.ts';
import { WINDOW_BUCKETS } from './rolling-window.ts';

/**
 * Circuits in Redis are JSON of EndpointCircuit. Decoding checks the shape, because another deployment or an
 * older version may have written the key: what does not fit counts as no state (a fresh circuit), never as
 * a crash on the flush path.
 */
export function encodeCircuit(c: EndpointCircuit): string {
  return JSON.stringify(c);
}

export function decodeCircuit(raw: string | null, ref: EndpointRef): EndpointCircuit | null {
  if (raw === null) return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  return isCircuit(value, ref) ? value : null;
}

const BREAKER_STATES = new Set(['closed', 'open', 'half_open']);

type Loose = Record<string, unknown>;

function isObject(v: unknown): v is Loose {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const isNumber = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const isTime = (v: unknown): boolean => v === null || isNumber(v);
const isCounts = (v: unknown): boolean => Array.isArray(v) && v.length === WINDOW_BUCKETS && v.every(isNumber);

function isCircuit(v: unknown, ref: EndpointRef): v is EndpointCircuit {
  if (!isObject(v) || v.id !== ref.id || v.pool !== ref.pool || !BREAKER_STATES.has(v.breaker as string)) return false;
  const numbers = ['halfOpenInFlight', 'halfOpenSuccesses', 'breakerFailures', 'ejectionFailures', 'ejections'];
  const times = ['openedAt', 'retryAt', 'halfOpenLeaseUntil', 'ejectedUntil', 'changedAt'];
  if (!numbers.every((k) => isNumber(v[k])) || !times.every((k) => isTime(v[k]))) return false;
  const w = v.window;
  if (!isObject(w) || ![w.bucketMs, w.epoch, w.totalRequests, w.totalFailures].every(isNumber) || !isCounts(w.requests) || !isCounts(w.failures)) return false;
  return v.probe === null || isProbe(v.probe);
}

function isProbe(p: unknown): boolean {
  return isObject(p) && typeof p.healthy === 'boolean' && typeof p.lastOk === 'boolean' && isNumber(p.lastAt)
    && isNumber(p.consecutiveSuccesses) && isNumber(p.consecutiveFailures) && (p.lastError === null || typeof p.lastError === 'string');
}
