import { createHash } from 'node:crypto';
import { invalidRequest } from './request-errors.ts';

export interface InputItemsQuery {
  readonly limit: number;
  readonly order: 'asc' | 'desc';
  /** The id of the item the page starts after. */
  readonly after?: string | undefined;
}

/** One page of GET /v1/responses/{id}/input_items, in the API's list shape. */
export interface InputItemsPage {
  readonly object: 'list';
  readonly data: ReadonlyArray<Readonly<Record<string, unknown>>>;
  readonly first_id: string | null;
  readonly last_id: string | null;
  readonly has_more: boolean;
}

/**
 * A response's input items as the API lists them: each with an id (kept when the caller gave one, else derived
 * from the response id and its place, so pages and cursors stay stable), a message's string content as one
 * input_text part, newest first unless `order` is asc.
 */
export function inputItemsPage(responseId: string, input: readonly unknown[], query: InputItemsQuery): InputItemsPage {
  const items = input.map((item, i) => listed(responseId, item, i));
  const ordered = query.order === 'asc' ? items : items.reverse();
  let start = 0;
  if (query.after !== undefined) {
    start = ordered.findIndex((item) => item.id === query.after) + 1;
    if (start === 0) throw invalidRequest('after', `no input item of this response has the id "${query.after.slice(0, 100)}".`);
  }
  const data = ordered.slice(start, start + query.limit);
  return { object: 'list', data, first_id: idOf(data[0]), last_id: idOf(data.at(-1)), has_more: start + query.limit < ordered.length };
}

function listed(responseId: string, item: unknown, index: number): Readonly<Record<string, unknown>> {
  const fields = item !== null && typeof item === 'object' && !Array.isArray(item) ? item as Record<string, unknown> : { value: item };
  const type = typeof fields.type === 'string' ? fields.type : 'message';
  const out: Record<string, unknown> = { ...fields, type, id: typeof fields.id === 'string' ? fields.id : derivedId(responseId, type, index) };
  if (type === 'message') {
    if (typeof fields.content === 'string') out.content = [{ type: 'input_text', text: fields.content }];
    out.status ??= 'completed';
  }
  return out;
}

function derivedId(responseId: string, type: string, index: number): string {
  const prefix = type === 'message' ? 'msg' : type === 'function_call' ? 'fc' : type === 'function_call_output' ? 'fco' : 'item';
  return `${prefix}_${createHash('sha256').update(`${responseId}/${index}`).digest('hex').slice(0, 48)}`;
}

function idOf(item: Readonly<Record<string, unknown>> | undefined): string | null {
  return typeof item?.id === 'string' ? item.id : null;
}
