/**
 * GET /api/usage/export's bodies, produced page by page from the store's scan (never the whole range in memory):
 * CSV (RFC 4180: a header row, CRLF line ends, fields quoted when they hold a comma, a quote or a line break),
 * NDJSON (one record per line) or one JSON array. Records keep the field names and values of GET /api/usage.
 */
import type { UsageRecord } from '../domain/usage-record.ts';

export type ExportFormat = 'csv' | 'ndjson' | 'json';

/** Every field of a record, in a reading order; the type check below fails when UsageRecord gains a field. */
export const CSV_COLUMNS = [
  'id', 'requestId', 'kind', 'attempt', 'startedAt', 'workspaceId', 'keyId', 'userId', 'agentType', 'endpoint', 'stream',
  'provider', 'modelRequested', 'modelServed', 'status', 'outcome', 'errorCode', 'inputTokens', 'outputTokens',
  'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd', 'latencyMs', 'ttftMs', 'retries', 'fallbackChain',
  'ruleId', 'experimentId', 'variant',
] as const satisfies readonly (keyof UsageRecord)[];

// A new UsageRecord field must be exported too: add it to CSV_COLUMNS.
const EVERY_FIELD: [Exclude<keyof UsageRecord, (typeof CSV_COLUMNS)[number]>] extends [never] ? true : never = true;
void EVERY_FIELD;

export const EXPORT_TYPES: Readonly<Record<ExportFormat, string>> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * One CSV field. null is an empty field and an empty string a quoted one ("" — as PostgreSQL's COPY tells them
 * apart); arrays (the fallback chain) are their JSON. Values are written as recorded: model names come from
 * callers, so open an export in a spreadsheet with formula evaluation in mind.
 */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = typeof value === 'string' ? value : typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text === '' || NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvRow(record: UsageRecord): string {
  return `${CSV_COLUMNS.map((column) => csvField(record[column])).join(',')}\r\n`;
}

export const CSV_HEADER = `${CSV_COLUMNS.join(',')}\r\n`;

/** The export's body as text chunks, one per page of records. */
export async function* exportChunks(pages: AsyncIterable<readonly UsageRecord[]>, format: ExportFormat): AsyncGenerator<string> {
  if (format === 'csv') yield CSV_HEADER;
  if (format === 'json') yield '[';
  let first = true;
  for await (const page of pages) {
    if (format === 'csv') {
      yield page.map(csvRow).join('');
    } else if (format === 'ndjson') {
      yield page.map((record) => `${JSON.stringify(record)}\n`).join('');
    } else {
      yield `${first ? '\n' : ',\n'}${page.map((record) => JSON.stringify(record)).join(',\n')}`;
    }
    first = false;
  }
  if (format === 'json') yield '\n]\n';
}

/**
 * The pages of `pages` with the first one read already: a store that cannot be read fails here, before the
 * answer's status and headers are sent, instead of cutting a started body.
 */
export async function primed<T>(pages: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = pages[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    async *[Symbol.asyncIterator]() {
      if (first.done === true) return;
      yield first.value;
      for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) yield next.value;
    },
  };
}

/** The download's file name: switchboard-usage-<since>-<until>.<format>, times in compact UTC ("20250201T000000Z"). */
export function exportFileName(since: string, until: string, format: ExportFormat): string {
  const compact = (iso: string) => iso.replace(/\.\d+Z$/, 'Z').replaceAll(/[-:]/g, '');
  return `switchboard-usage-${compact(since)}-${compact(until)}.${format}`;
}
