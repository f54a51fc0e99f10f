/** The two request/response dialects Switchboard speaks, to callers and to providers alike. */
export type WireFormat = 'openai' | 'anthropic';
