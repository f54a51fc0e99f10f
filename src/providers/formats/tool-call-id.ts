import { randomUUID } from 'node:crypto';

/** Anthropic's tool_use.id pattern; OpenAI and OpenAI-compatible upstreams allow anything (bifrost#5097). */
const ANTHROPIC_TOOL_ID = /^[a-zA-Z0-9_-]+$/;
const ENCODED = 'sb--';

/**
 * Makes a tool-call id acceptable to Anthropic. Valid ids pass unchanged; any other id (and any valid id
 * that happens to start with the marker) becomes marker + base64url(JSON string). JSON.stringify is
 * injective on strings and well-formed even for lone surrogates, so distinct ids never merge, and the
 * same id always maps the same way in the assistant turn and in its tool result.
 */
export function toAnthropicToolId(id: string): string {
  if (ANTHROPIC_TOOL_ID.test(id) && !id.startsWith(ENCODED)) return id;
  return ENCODED + Buffer.from(JSON.stringify(id), 'utf8').toString('base64url');
}

/** Reverses toAnthropicToolId, so an OpenAI-compatible upstream gets back the ids it issued. */
export function fromAnthropicToolId(id: string): string {
  if (!id.startsWith(ENCODED)) return id;
  try {
    const decoded: unknown = JSON.parse(Buffer.from(id.slice(ENCODED.length), 'base64url').toString('utf8'));
    return typeof decoded === 'string' ? decoded : id;
  } catch {
    return id;
  }
}

/** A fresh id where the upstream sent none: `toolu_…` for Anthropic clients, `call_…` for OpenAI ones. */
export function mintToolId(prefix: 'toolu' | 'call'): string {
  return `${prefix}_${randomUUID().replaceAll('-', '')}`;
}
