import type pg from 'pg';
import type { StorageChange } from '../ports.ts';
import { CHANGE_CHANNEL } from './change-notice.ts';

/** Reconnect delays double from the first to the last and stay there (bounded: a replica rejoins within 5 s). */
const FIRST_RETRY_MS = 250;
const LAST_RETRY_MS = 5000;

export interface ChangeListenerOptions {
  /** A new, unconnected client each time: a pg.Client cannot reconnect once its connection ended. */
  readonly connect: () => pg.Client;
  /** The change a payload carries for this store, or undefined to ignore it (change-notice.ts, decodeNotice). */
  readonly decode: (payload: string) => StorageChange | undefined;
  readonly emit: (change: StorageChange) => void;
}

/**
 * One dedicated connection that LISTENs on the change channel and hands every notification to `emit`. When the
 * connection drops (server restart, failover, pg_terminate_backend) it reconnects with backoff, never throwing:
 * notifications sent while it was away are lost, which the port allows (listeners also poll). close() stops it.
 */
export class ChangeListener {
  readonly #options: ChangeListenerOptions;
  #client: pg.Client | undefined;
  #retry: NodeJS.Timeout | undefined;
  #failures = 0;
  #started = false;
  #closed = false;

  constructor(options: ChangeListenerOptions) {
    this.#options = options;
  }

  /** Connects on first use, so that a store nobody subscribes to holds no extra connection. */
  start(): void {
    if (this.#started || this.#closed) return;
    this.#started = true;
    this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#retry);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connect(): void {
    const client = this.#options.connect();
    this.#client = client;
    client.on('notification', (message) => {
      if (message.channel !== CHANGE_CHANNEL || message.payload === undefined) return;
      const change = this.#options.decode(message.payload);
      if (change !== undefined) this.#options.emit(change);
    });
    // 'error' and 'end' both mean the connection is gone; the listener stays attached so a late error is harmless.
    client.on('error', () => this.#drop(client));
    client.on('end', () => this.#drop(client));
    client.connect()
      .then(() => client.query(`LISTEN ${CHANGE_CHANNEL}`))
      .then(() => { this.#failures = 0; }, () => this.#drop(client));
  }

  #drop(client: pg.Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    void client.end().catch(() => undefined);
    if (this.#closed) return;
    const delay = Math.min(LAST_RETRY_MS, FIRST_RETRY_MS * 2 ** this.#failures++);
    this.#retry = setTimeout(() => this.#connect(), delay);
    // A pending reconnect alone does not keep the process alive.
    this.#retry.unref();
  }
}
