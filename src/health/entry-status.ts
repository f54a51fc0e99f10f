import { newCircuit, statusOf, type EndpointCircuit } from './endpoint-circuit.ts';
import type { EndpointRef, EndpointStatus, HealthSettings } from './health-registry.ts';
import { latencyOrNull } from './latency-average.ts';

/** What both registries keep per endpoint and show the same way. */
export interface StatusSource {
  readonly circuit: EndpointCircuit;
  readonly latencyMs: number;
}

/** An endpoint's status; one never seen shows as a fresh circuit. */
export function entryStatus(entry: StatusSource | undefined, endpoint: EndpointRef, settings: HealthSettings, now: number): EndpointStatus {
  if (entry === undefined) return statusOf(newCircuit(endpoint, settings, now), settings, now, null);
  return statusOf(entry.circuit, settings, now, latencyOrNull(entry.latencyMs));
}

/** Every known endpoint's status, in first-seen order. */
export function entryStatuses(entries: Iterable<StatusSource>, settings: HealthSettings, now: number): EndpointStatus[] {
  const out: EndpointStatus[] = [];
  for (const e of entries) out.push(statusOf(e.circuit, settings, now, latencyOrNull(e.latencyMs)));
  return out;
}
