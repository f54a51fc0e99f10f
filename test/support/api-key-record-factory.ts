import { randomBytes, randomUUID } from 'node:crypto';
import type { ApiKeyRecord } from '../../src/storage/ports.ts';

/**
 * An active member key of the default workspace, allowed every model and its role's scopes, never expiring; override what a test cares about.
 * id, prefix and hash are fresh on every call, so records never collide unless a test makes them.
 */
export function makeApiKeyRecord(overrides: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id: randomUUID(),
    prefix: `sb_${randomBytes(4).toString('hex')}`,
    hash: randomBytes(32).toString('hex'),
    name: 'test key',
    role: 'member',
    models: null,
    workspaceId: 'default',
    scopes: null,
    expiresAt: null,
    budgetLimits: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    revokedAt: null,
    lastUsedAt: null,
    ...overrides,
  };
}
