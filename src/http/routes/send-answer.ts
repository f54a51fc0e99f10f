import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply } from 'fastify';
import type { Answer } from '../../routing/answer.ts';
import { NO_HEADERS } from '../../upstream/forwarded-headers.ts';

const STREAM_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', 'x-accel-buffering': 'no' };

/**
 * Writes an executor's Answer: the x-switchboard-* headers, then the JSON body, or the event stream on the raw
 * connection. A stream gives a promise, settled once it is over, of the Response a Responses stream ended with;
 * a JSON answer is sent at once and gives nothing (no promise on the hot path).
 */
export function sendAnswer(reply: FastifyReply, answer: Answer): Promise<Readonly<Record<string, unknown>> | undefined> | undefined {
  if (answer.headers !== NO_HEADERS) reply.headers(answer.headers);
  reply.header('x-switchboard-target', answer.target).header('x-switchboard-attempts', answer.attempts).header('x-switchboard-model', answer.model);
  if (answer.rule !== null) reply.header('x-switchboard-rule', answer.rule);
  if (answer.kind === 'json') {
    reply.code(answer.status).header('content-type', 'application/json').send(answer.body);
    answer.settle();
    return undefined;
  }
  reply.hijack();
  // A hijacked reply sends no headers fastify holds, so take the ones set so far (request id, upstream's).
  reply.raw.writeHead(200, { ...(reply.getHeaders() as OutgoingHttpHeaders), ...STREAM_HEADERS });
  return answer.pipeTo(reply.raw);
}
