/** An API key as stored: plain data shared by auth, storage and the admin API. */
export type KeyRole = 'admin' | 'inference';

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
