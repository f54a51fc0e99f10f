import type { z } from 'zod';
import { GatewayError, type ErrorIssue } from '../errors/gateway-error.ts';

/**
 * A zod error's issues as the admin API answers them: dotted paths (prefixed with `prefix` when given), an
 * unrecognized key reported at its own path, so that every field at fault is named.
 */
export function zodIssues(error: z.ZodError, prefix: readonly (string | number)[] = []): ErrorIssue[] {
  return error.issues.flatMap((issue) => {
    const path = [...prefix, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))];
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ path: [...path, key].join('.'), message: `unknown field "${key}"` }));
    return [{ path: path.join('.'), message: issue.message }];
  });
}

/** SB_INVALID_REQUEST naming every issue; `where` stands for the root ("body", "path", "query"). */
export function invalidRequest(issues: readonly ErrorIssue[], where: string): GatewayError {
  const named = issues.map((i) => ({ path: i.path === '' ? where : i.path, message: i.message }));
  return new GatewayError('SB_INVALID_REQUEST', {
    param: named[0]?.path, issues: named,
    message: `Invalid ${where}: ${named.map((i) => `${i.path}: ${i.message}`).join('; ')}.`,
  });
}
