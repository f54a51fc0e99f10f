/**
 * What a key may do inside its workspace (or, with no workspace, everywhere): admin changes anything, operator
 * runs things (overrides, drains, experiments) and reads everything, member calls models and services and reads
 * its own usage, viewer only reads.
 */
export const KEY_ROLES = ['admin', 'operator', 'member', 'viewer'] as const;
export type KeyRole = typeof KEY_ROLES[number];

/**
 * The role names keys are made with: the four roles, and "inference", the role keys had before workspaces, kept
 * so existing scripts still work (it makes a member).
 */
export const KEY_ROLE_INPUTS = [...KEY_ROLES, 'inference'] as const;

export function keyRoleOf(input: typeof KEY_ROLE_INPUTS[number]): KeyRole {
  return input === 'inference' ? 'member' : input;
}

/** Which areas a key may call; a role's defaults unless the key names its own. */
export const KEY_SCOPES = ['inference', 'services', 'voice', 'admin:read', 'admin:write'] as const;
export type KeyScope = typeof KEY_SCOPES[number];

/** The scopes a role has unless the key names fewer. */
export const ROLE_SCOPES: Readonly<Record<KeyRole, readonly KeyScope[]>> = {
  admin: KEY_SCOPES,
  operator: ['inference', 'services', 'voice', 'admin:read', 'admin:write'],
  member: ['inference', 'services', 'voice', 'admin:read'],
  viewer: ['admin:read'],
};

/** Where keys made before workspaces existed, and keys made without one, belong (admin keys excepted). */
export const DEFAULT_WORKSPACE = 'default';

/** A budget in USD per period (seed 002's budgetLimits plus a lifetime total); hard refuses, soft only counts. */
export interface BudgetLimits {
  readonly daily?: number | undefined;
  readonly weekly?: number | undefined;
  readonly monthly?: number | undefined;
  readonly total?: number | undefined;
  readonly enforcement?: 'hard' | 'soft' | undefined;
}

/** An API key as stored: plain data shared by auth, storage and the admin API. */
export interface ApiKeyRecord {
  /** Stable id (UUID). */
  readonly id: string;
  /** Public, non-secret part of the key that identifies it (e.g. "sb_a1b2c3d4"); unique. */
  readonly prefix: string;
  /** Hex SHA-256 of the whole key. The key itself is never stored. */
  readonly hash: string;
  readonly name: string;
  readonly role: KeyRole;
  /** Models this key may use; null means every configured model. */
  readonly models: readonly string[] | null;
  /** The workspace the key belongs to; null only for an admin key that sees every workspace. */
  readonly workspaceId: string | null;
  /** What the key may do, a subset of its role's scopes; null means all of the role's (ROLE_SCOPES). */
  readonly scopes: readonly KeyScope[] | null;
  /** ISO-8601 time after which the key is refused (a rotated key's overlap ends then); null: no expiry. */
  readonly expiresAt: string | null;
  /** The key's own budget, besides its workspace's; null: none. */
  readonly budgetLimits: BudgetLimits | null;
  /** ISO-8601. */
  readonly createdAt: string;
  /** ISO-8601, or null while the key is active. */
  readonly revokedAt: string | null;
  /**
   * ISO-8601 time of the last successful authentication, or null if never used. Written in batches off the
   * request path (KeyAuthenticator flushes about once a minute), so it can lag the real last use by that much.
   */
  readonly lastUsedAt: string | null;
}
