import { isRecord, parseJson } from './json-value.ts';

/**
 * OpenAI function.arguments (a JSON string) → Anthropic tool_use.input (must be an object).
 * Empty arguments mean no arguments; anything that is not a JSON object is kept, wrapped as
 * `{ rawInvalidInput }` like the Vercel AI SDK does, rather than failing the request or losing it.
 */
export function toolInputFromArguments(args: unknown): Record<string, unknown> {
  if (args === undefined || args === null) return {};
  if (isRecord(args)) return args;
  if (typeof args !== 'string') return { rawInvalidInput: args };
  if (args.trim() === '') return {};
  const parsed = parseJson(args);
  if (isRecord(parsed)) return parsed;
  return { rawInvalidInput: parsed === undefined ? args : parsed };
}

/** Anthropic tool_use.input → OpenAI function.arguments; clients JSON.parse it, so never "". */
export function argumentsFromToolInput(input: unknown): string {
  return JSON.stringify(input ?? {});
}
