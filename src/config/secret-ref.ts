import { readFileSync } from 'node:fs';
import { z } from 'zod';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * A credential is written as a reference, never as itself: `env:NAME` (an environment variable of the process)
 * or `file:/absolute/path` (a mounted secret file, trimmed). The reference is what versions store, exports show and
 * logs print; the value is read only when a provider is built.
 */
const REF = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:\/.+)$/;

export const secretRefSchema = z.string().regex(REF, 'write the secret as env:NAME or file:/path (a secret is never kept in the configuration in clear)');

export function isSecretRef(value: string): boolean {
  return REF.test(value);
}

/** The secret a reference names, or undefined when the variable is unset or the file cannot be read. */
export function resolveSecret(ref: string, env: Env): string | undefined {
  if (ref.startsWith('env:')) {
    const value = env[ref.slice(4)];
    return value === undefined || value === '' ? undefined : value;
  }
  if (ref.startsWith('file:')) {
    try {
      const value = readFileSync(ref.slice(5), 'utf8').trim();
      return value === '' ? undefined : value;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Header names whose values are credentials: they too must be references. */
const SECRET_HEADER = /^(authorization|proxy-authorization|cookie|x-api-key|api-key)$|token|secret|key/i;

export function isSecretHeader(name: string): boolean {
  return SECRET_HEADER.test(name);
}
