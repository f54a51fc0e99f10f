import type { ResponseScope, StoredResponse } from './ports.ts';

/**
 * Whose stored responses a scope sees: its workspace's when it has one, else its key's. The SQL adapters turn it
 * into their WHERE clause (sql/response-columns.ts), so that every adapter applies this one rule.
 */
export interface ResponseOwner {
  readonly by: 'workspace' | 'key';
  readonly id: string;
}

/**
 * The owner a scope sees, or undefined when it sees nothing: a caller with neither a workspace nor a key (a JWT
 * principal outside workspaces) has no tenant to share with, and null must never match null.
 */
export function responseOwner(scope: ResponseScope): ResponseOwner | undefined {
  if (scope.workspaceId !== null) return { by: 'workspace', id: scope.workspaceId };
  if (scope.keyId !== null) return { by: 'key', id: scope.keyId };
  return undefined;
}

/**
 * A workspace's response is visible to every caller of that workspace (its members continue each other's
 * conversations), whichever key made it. A response made outside workspaces is visible only to the same key, and
 * only while that caller is outside workspaces too: a workspace scope never sees a response without a workspace,
 * and a scope without a workspace never sees a workspace's.
 */
export function responseVisibleTo(stored: Pick<StoredResponse, 'keyId' | 'workspaceId'>, scope: ResponseScope): boolean {
  const owner = responseOwner(scope);
  if (owner === undefined) return false;
  return owner.by === 'workspace' ? stored.workspaceId === owner.id : stored.workspaceId === null && stored.keyId === owner.id;
}
