import type { z } from 'zod';
import { invalidRequest, zodIssues } from '../../admin/invalid-request.ts';
import type { ErrorIssue } from '../../errors/gateway-error.ts';

/**
 * Input of the admin and routing routes. Every problem is answered at once as SB_INVALID_REQUEST, each with its
 * path relative to the body (an unknown field at its own name), `param` the first.
 */

/** Parsed params, query or body (defaults filled). */
export function parsed<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw invalidRequest(zodIssues(result.error), where);
  return result.data;
}

/**
 * A body the schema accepts, as the caller wrote it (defaults not filled in, so that the stored entry holds what
 * was sent). `readOnly`: fields the schema has but the gateway sets (createdAt …), refused here.
 */
export function validBody<S extends z.ZodType>(schema: S, value: unknown, readOnly: readonly string[] = []): z.input<S> {
  const result = schema.safeParse(value);
  const issues: ErrorIssue[] = [...(result.success ? [] : zodIssues(result.error)), ...readOnlyIssues(value, readOnly)];
  if (issues.length > 0) throw invalidRequest(issues, 'body');
  return value as z.input<S>;
}

/**
 * A PATCH body over an entry of `schema`: some of its fields, each valid on its own; null puts back an optional
 * field's default. Checks across fields (weights, a traffic split's targets) are the configuration's to make.
 */
export function validPatch(schema: z.ZodObject, value: unknown, readOnly: readonly string[] = []): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidRequest([{ path: '', message: 'expected an object of the fields to change' }], 'body');
  const issues: ErrorIssue[] = readOnlyIssues(value, readOnly);
  const shape = schema.shape as Record<string, z.ZodType>;
  for (const [key, field] of Object.entries(value)) {
    const fieldSchema = shape[key];
    if (fieldSchema === undefined) {
      if (!readOnly.includes(key)) issues.push({ path: key, message: `unknown field "${key}"` });
      continue;
    }
    if (readOnly.includes(key)) continue;
    if (field === null) {
      if (!fieldSchema.safeParse(undefined).success) issues.push({ path: key, message: 'required: it cannot be removed' });
      continue;
    }
    const result = fieldSchema.safeParse(field);
    if (!result.success) issues.push(...zodIssues(result.error, [key]));
  }
  if (Object.keys(value).length === 0) issues.push({ path: '', message: 'no field to change' });
  if (issues.length > 0) throw invalidRequest(issues, 'body');
  return value as Record<string, unknown>;
}

function readOnlyIssues(value: unknown, readOnly: readonly string[]): ErrorIssue[] {
  if (value === null || typeof value !== 'object') return [];
  return readOnly.filter((key) => Object.hasOwn(value, key)).map((key) => ({ path: key, message: 'set by the gateway, not by the caller' }));
}
