import type { KeyRole } from './api-key-record.ts';

/** Who is calling: plain data attached to each request after authentication. */
export interface Principal {
  /** Key id, or "env-admin" for the key from SWITCHBOARD_ADMIN_KEY. */
  readonly keyId: string;
  readonly role: KeyRole;
  /** Models this caller may use; null means all. */
  readonly models: ReadonlySet<string> | null;
}
