import type { AuditEvent } from '../domain/audit-event.ts';

/**
 * Where audit events go: the one seam the admin services and the error handler record through. An
 * implementation (usage/record-pipeline.ts) appends it to the usage journal beside the usage records; callers never
 * know which.
 */
export interface AuditLog {
  /** Takes one finished event. Synchronous, never throws, never waits: it is called on request paths. */
  record(event: AuditEvent): void;
}

/** An AuditLog as the composition root holds it: written through before a lookup reads, and closed at shutdown. */
export interface AuditWriter extends AuditLog {
  /** Writes what is waiting; resolves when the store has it (or the write failed and the events are kept). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
}

/** Records nothing: for tools (the CLI) and the tests that do not look at audit events. */
export const NO_AUDIT: AuditLog = Object.freeze({ record: () => undefined });
