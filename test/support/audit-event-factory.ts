import { randomUUID, randomUUIDv7 } from 'node:crypto';
import type { AuditEvent } from '../../src/domain/audit-event.ts';

/**
 * A valid audit event (a key created by an admin key); override what a test cares about. id and requestId are
 * fresh on every call; `at` is fixed so that ordering in tests is explicit.
 */
export function makeAuditEvent(overrides: Partial<AuditEvent> = {}): AuditEvent {
  return {
    id: randomUUIDv7(),
    at: '2025-01-01T00:00:00.000Z',
    action: 'key.create',
    outcome: 'ok',
    code: null,
    actorKeyId: 'key-admin',
    actorWorkspaceId: null,
    actorUserId: null,
    ip: '127.0.0.1',
    requestId: randomUUID(),
    workspaceId: 'default',
    targetType: 'key',
    targetId: randomUUID(),
    before: null,
    after: { name: 'ci', role: 'member' },
    ...overrides,
  };
}
