// The one request every target gets: the same bytes, the same headers, so only the hop differs.

export const ADMIN_KEY = 'sb-bench-key-0123456789abcdef';
export const CHAT_PATH = '/v1/chat/completions';

const chat = {
  model: 'gpt-4o-mini',
  messages: [
    { role: 'system', content: 'You are a helpful assistant.' },
    { role: 'user', content: 'Say hello in one short sentence.' },
  ],
  max_tokens: 64,
  temperature: 0,
};

export const CHAT_BODY = chatBodyFor(chat.model);
export const STREAM_BODY = JSON.stringify({ ...chat, stream: true });

/** CHAT_BODY asking for another model: the same bytes otherwise, so only the routing differs. */
export function chatBodyFor(model: string): string {
  return JSON.stringify({ ...chat, model });
}

/** The mock and the bare proxy ignore the key; Switchboard checks it, as it would in production. */
export const REQUEST_HEADERS: Record<string, string> = { 'content-type': 'application/json', authorization: `Bearer ${ADMIN_KEY}` };
