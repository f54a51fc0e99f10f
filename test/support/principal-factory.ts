import { ROLE_SCOPES } from '../../src/domain/api-key-record.ts';
import type { Principal } from '../../src/domain/principal.ts';

/** A key's principal as the authenticator makes it: a member of no workspace by default. */
export function testPrincipal(overrides: Partial<Principal> = {}): Principal {
  const role = overrides.role ?? 'member';
  return { keyId: 'k1', kind: 'key', role, scopes: new Set(ROLE_SCOPES[role]), workspaceId: null, models: null, tier: null, userId: null, ...overrides };
}
