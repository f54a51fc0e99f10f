import type { z } from 'zod';
import { GatewayError } from '../../errors/gateway-error.ts';

/** Admin and routing input through its zod schema, or SB_INVALID_REQUEST naming every field at fault. */
export function parseInput<T>(schemaOf: z.ZodType<T>, value: unknown, where: string): T {
  const parsed = schemaOf.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.') || where, message: i.message }));
  throw new GatewayError('SB_INVALID_REQUEST', { param: issues[0]?.path, issues, message: `Invalid ${where}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}.` });
}
