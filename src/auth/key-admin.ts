import { randomUUID } from 'node:crypto';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKeyRecord, KeyRole, KeyStore } from '../storage/ports.ts';
import { generateApiKey } from './api-key.ts';

export interface CreateKeyInput {
  readonly name: string;
  readonly role: KeyRole;
  readonly models?: readonly string[] | null | undefined;
}

/** A key as shown to operators: everything but the hash. */
export type PublicKeyView = Omit<ApiKeyRecord, 'hash'>;

/** Key management use cases shared by the admin API and the CLI. */
export class KeyAdmin {
  readonly #store: KeyStore;

  constructor(store: KeyStore) {
    this.#store = store;
  }

  /** Creates a key; the returned `key` is the only time the secret exists outside the caller. */
  async create(input: CreateKeyInput): Promise<PublicKeyView & { key: string }> {
    const { key, prefix, hash } = generateApiKey();
    const record: ApiKeyRecord = {
      id: randomUUID(), prefix, hash, name: input.name, role: input.role,
      models: input.models === undefined || input.models === null ? null : [...input.models],
      createdAt: new Date().toISOString(), revokedAt: null, lastUsedAt: null,
    };
    await this.#store.insert(record);
    return { ...publicView(record), key };
  }

  async list(): Promise<PublicKeyView[]> {
    return (await this.#store.list()).map(publicView);
  }

  /** Revokes by id or by public prefix; returns the revoked key. */
  async revoke(idOrPrefix: string): Promise<PublicKeyView> {
    const record = await this.#find(idOrPrefix);
    await this.#store.revoke(record.id, new Date().toISOString());
    return publicView((await this.#store.get(record.id)) ?? record);
  }

  async #find(idOrPrefix: string): Promise<ApiKeyRecord> {
    const record = (await this.#store.get(idOrPrefix)) ?? (await this.#store.findByPrefix(idOrPrefix));
    if (record === undefined) throw new GatewayError('SB_KEY_NOT_FOUND', { param: 'id' });
    return record;
  }
}

function publicView(record: ApiKeyRecord): PublicKeyView {
  const { hash: _hash, ...view } = record;
  return view;
}
