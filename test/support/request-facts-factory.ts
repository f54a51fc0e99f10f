import type { RequestFacts } from '../../src/domain/request-facts.ts';

/** Request facts with everything a test does not set left empty. */
export function testFacts(fields: Partial<Omit<RequestFacts, 'header'>> & { readonly headers?: Readonly<Record<string, string>> } = {}): RequestFacts {
  const { headers = {}, ...rest } = fields;
  return {
    requestId: 'req-1', model: undefined, agentType: undefined, requestType: 'chat', workspaceId: undefined, userId: undefined,
    sessionId: undefined, keyId: 'k1', metadata: {}, contentLength: () => 0, ...rest,
    header: (name) => headers[name],
  };
}
