import type { BudgetLimits, KeyRole, KeyScope } from './api-key-record.ts';

/** How the caller proved who it is. */
export type PrincipalKind = 'key' | 'jwt' | 'anonymous';

/** Who is calling: plain data attached to each request after authentication. */
export interface Principal {
  /** Key id, "env-admin" for the key from SWITCHBOARD_ADMIN_KEY, "jwt:<sub>" for a token, "anonymous". */
  readonly keyId: string;
  readonly kind: PrincipalKind;
  readonly role: KeyRole;
  /** What the caller may do: inference (/v1, /api/route), services, voice, admin:read, admin:write. */
  readonly scopes: ReadonlySet<KeyScope>;
  /**
   * The workspace (tenant) the caller belongs to; its role applies inside it only. null: no workspace — with the
   * admin role, the operator who sees every workspace (the bootstrap admin key and keys made like it).
   */
  readonly workspaceId: string | null;
  /** Models this caller may use; null means all. */
  readonly models: ReadonlySet<string> | null;
  /** Rate-limit tier (seed 001: anonymous, authenticated, api_key, premium, webhooks, or a configured one); null: by kind. */
  readonly tier: string | null;
  /** The end user a token names (JWT `sub` or its mapped claim); null for keys. */
  readonly userId: string | null;
  /** The key's own budget (POST /api/keys budgetLimits), held besides its workspace's; absent: none. */
  readonly budgetLimits?: BudgetLimits | null;
}
