// The Responses API's cost: one instance whose upstream (the mock) is an OpenAI-compatible provider, so that
// POST /v1/responses is translated to a chat completion and the answer back, against the same call through
// /v1/chat/completions on the same instance, interleaved chat, responses, chat, responses at the highest
// concurrency; both with store: false (the like-for-like call) and the Responses API's default store: true
// (each response kept in SQLite for previous_response_id).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { REQUEST_HEADERS } from './bench-request.ts';
import { measureJsonCell, type JsonCell } from './measure-json.ts';
import type { BenchConfig } from './bench-config.ts';
import type { NoisePolicy } from './measure-window.ts';
import type { Pinning } from './pinning.ts';
import type { Target } from './target.ts';

/** The bar of the Responses issue: a translated call costs at most this much more CPU than the chat call. */
export const RESPONSES_BAR_RATIO = 1.10;

export type ResponsesCellKind = 'chat' | 'responses' | 'responses (store)';

export interface ResponsesCells {
  readonly cells: ReadonlyArray<{ readonly kind: ResponsesCellKind; readonly cell: JsonCell }>;
  readonly problems: readonly string[];
}

/** The model, named through the OpenAI-compatible provider that the mock stands in for. */
const MODEL = 'vendor/gpt-4o-mini';
const SYSTEM = 'You are a helpful assistant.';
const USER = 'Say hello in one short sentence.';

export const RESPONSES_CHAT_BODY = JSON.stringify({ model: MODEL, messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: USER }], max_tokens: 64, temperature: 0 });
/** The same request in the Responses API's words: instructions, input, max_output_tokens. */
export function responsesBody(store: boolean): string {
  return JSON.stringify({ model: MODEL, instructions: SYSTEM, input: USER, max_output_tokens: 64, temperature: 0, store });
}

/** The instance's config file: the mock as an OpenAI-compatible vendor. */
export function writeResponsesConfig(dir: string, upstreamBase: string): string {
  const file = join(dir, 'responses-vendor.yaml');
  writeFileSync(file, `providers:\n  - name: vendor\n    type: openai-compatible\n    baseUrl: ${upstreamBase}\n    models: [gpt-4o-mini]\n`);
  return file;
}

/** Mean CPU µs/req of the cells of `kind`; null with none. */
export function meanResponsesCpu(cells: ResponsesCells['cells'], kind: ResponsesCellKind): number | null {
  const values = cells.filter((c) => c.kind === kind).map((c) => c.cell.cpuUsPerRequest).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
}

export async function measureResponses(target: Target, c: number, config: BenchConfig, pinning: Pinning, noise: NoisePolicy, report: (kind: ResponsesCellKind, cell: JsonCell) => void): Promise<ResponsesCells> {
  const base = target.url.replace(/\/v1\/chat\/completions$/, '');
  const responses: Target = { ...target, url: `${base}/v1/responses` };
  const cells: Array<{ kind: ResponsesCellKind; cell: JsonCell }> = [];
  const order: ReadonlyArray<readonly [ResponsesCellKind, Target, string]> = [
    ['chat', target, RESPONSES_CHAT_BODY], ['responses', responses, responsesBody(false)], ['responses (store)', responses, responsesBody(true)],
    ['chat', target, RESPONSES_CHAT_BODY], ['responses', responses, responsesBody(false)], ['responses (store)', responses, responsesBody(true)],
  ];
  for (const [kind, to, body] of order) {
    const cell = await measureJsonCell(to, c, config, pinning, noise, body, REQUEST_HEADERS);
    cells.push({ kind, cell });
    report(kind, cell);
  }
  return { cells, problems: [] };
}
