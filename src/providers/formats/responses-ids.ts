import { randomFillSync } from 'node:crypto';

/** The prefixes the Responses API gives its objects: resp_ responses, msg_ messages, fc_ function calls, rs_ reasoning. */
export type ResponsesIdKind = 'resp' | 'msg' | 'fc' | 'rs';

const ID_BYTES = 24;
/** Random bytes drawn from the CSPRNG a batch at a time: one id a request, and a call of its own each cost more than the rest of the id. */
const pool = Buffer.alloc(ID_BYTES * 256);
let poolAt = pool.length;

/**
 * A fresh id in the API's shape: prefix + 48 hex digits (24 random bytes), the length OpenAI's own ids have.
 * Random rather than sequential so that ids of different replicas never collide in a shared store.
 */
export function mintResponsesId(kind: ResponsesIdKind): string {
  if (poolAt + ID_BYTES > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + ID_BYTES);
  poolAt += ID_BYTES;
  return `${kind}_${hex}`;
}

const OWN_RESPONSE_ID = /^resp_([0-9a-f]{48})$/;
const OWN_ITEM_ID = /^(?:msg|fc|rs)_([0-9a-f]{48})[0-9a-f]{4}$/;

/**
 * The ids of one response's output items: the response's own hex digits and a counter, so that an item id names
 * the response it belongs to. Clients send earlier output back as `item_reference`s by id (the Vercel AI SDK does
 * for every assistant turn); the gateway finds the item through its response, with no index of items.
 */
export class OutputItemIds {
  readonly #hex: string | undefined;
  #next = 0;

  constructor(responseId: string) {
    this.#hex = OWN_RESPONSE_ID.exec(responseId)?.[1];
  }

  next(kind: Exclude<ResponsesIdKind, 'resp'>): string {
    if (this.#hex === undefined) return mintResponsesId(kind);
    return `${kind}_${this.#hex}${(this.#next++).toString(16).padStart(4, '0')}`;
  }
}

/** The response an output item id of the gateway's belongs to; undefined for any other id. */
export function responseIdOfItem(itemId: string): string | undefined {
  const hex = OWN_ITEM_ID.exec(itemId)?.[1];
  return hex === undefined ? undefined : `resp_${hex}`;
}
