/**
 * From the claims of a verified token to a Principal. Identity providers put roles and tenants in claims of their
 * own choosing (Keycloak under realm_access.roles, Auth0 under a URL), so each claim's name is configured.
 */
import { KEY_ROLES, KEY_SCOPES, ROLE_SCOPES, type KeyRole, type KeyScope } from '../domain/api-key-record.ts';
import type { Principal } from '../domain/principal.ts';
import type { JwtClaimNames } from '../config/jwt-schema.ts';
import { GatewayError } from '../errors/gateway-error.ts';

/** Bounds what a token puts into ids, logs and usage records; the issuer is trusted, its claim lengths are not. */
const MAX_ID_CHARS = 200;

/** Highest first: a token naming several roles gets the highest it names. */
const ROLE_RANK: readonly KeyRole[] = KEY_ROLES;
const KNOWN_SCOPES: ReadonlySet<string> = new Set(KEY_SCOPES);

/**
 * The claim called `name`. A name that is not itself a claim and contains dots is a path into nested objects
 * ("realm_access.roles"); URL-style names ("https://example.com/roles") are found whole first, so they just work.
 * Only own properties of plain objects are followed, so "constructor" or "__proto__" find nothing.
 */
export function claimAt(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(payload, name)) return payload[name];
  if (!name.includes('.')) return undefined;
  let node: unknown = payload;
  for (const part of name.split('.')) {
    if (typeof node !== 'object' || node === null || Array.isArray(node) || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
}

/** Builds the caller's Principal; throws SB_AUTH_INVALID_TOKEN when a claim the gateway relies on is unusable. */
export function principalFromClaims(payload: Readonly<Record<string, unknown>>, names: JwtClaimNames): Principal {
  const sub = payload['sub'];
  if (typeof sub !== 'string' || sub === '') {
    throw new GatewayError('SB_AUTH_INVALID_TOKEN', { message: 'The token has no "sub" claim naming its subject.' });
  }
  const role = highestRole(claimAt(payload, names.roles));
  return Object.freeze({
    kind: 'jwt',
    keyId: `jwt:${sub.slice(0, MAX_ID_CHARS)}`,
    userId: idOrNull(claimAt(payload, names.user)),
    workspaceId: workspaceOf(claimAt(payload, names.workspace), names.workspace),
    role,
    scopes: scopesOf(claimAt(payload, names.scopes), role),
    tier: idOrNull(claimAt(payload, names.tier)),
    models: null,
  });
}

/** A string claim, or a list of strings, as words: "a b" and ["a", "b"] mean the same. Anything else: none. */
function words(value: unknown): string[] {
  if (typeof value === 'string') return value.split(/\s+/).filter((w) => w !== '');
  if (Array.isArray(value)) return value.filter((w): w is string => typeof w === 'string');
  return [];
}

/** Unknown or missing roles mean member: a token proves who the caller is, not that it may administer. */
function highestRole(value: unknown): KeyRole {
  const named = new Set(words(value));
  return ROLE_RANK.find((role) => named.has(role)) ?? 'member';
}

/**
 * The known scopes the token names. OAuth providers fill "scope" with their own ("openid profile"), so a token
 * naming none of ours gets its role's defaults rather than no access at all; one naming some gets only those.
 */
function scopesOf(value: unknown, role: KeyRole): ReadonlySet<KeyScope> {
  const named = words(value).filter((w): w is KeyScope => KNOWN_SCOPES.has(w));
  return new Set(named.length > 0 ? named : ROLE_SCOPES[role]);
}

/**
 * The workspace, or null when the token has no such claim. A claim that is there but unusable is refused rather
 * than read as null: null with the admin role means every workspace.
 */
function workspaceOf(value: unknown, name: string): string | null {
  if (value === undefined || value === null) return null;
  // Not cut like the other ids: a shortened workspace id could name another workspace.
  if (typeof value === 'string' && value !== '' && value.length <= MAX_ID_CHARS) return value;
  throw new GatewayError('SB_AUTH_INVALID_TOKEN', {
    message: `The token's workspace claim ("${name}") is not a string of 1 to ${MAX_ID_CHARS} characters.`,
  });
}

function idOrNull(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value.slice(0, MAX_ID_CHARS);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}
