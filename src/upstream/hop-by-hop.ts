/** Headers that describe one connection and must not be copied from the upstream response to the caller. */
export const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length',
  'content-encoding', 'date', 'server',
]);
