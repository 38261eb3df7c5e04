/**
 * An order's timeline rows (order_events, written by triggers beside each change: see
 * Migration20261207180000_order_events) and the one connection per API process that listens for
 * `NOTIFY order_events` to learn which orders changed.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { Client } from 'pg';
import type { OrderEventFacts } from '../domain/order-timeline';
import { sqlPoolOf, sqlRows, statement } from '../db/sql';

export interface OrderEventRow extends OrderEventFacts {
  id: string;
  at: Date;
  /** The order's status when the rows were read. */
  orderStatus: string;
}

/** At most this many rows per read: a page that fell far behind catches up over several reads. */
export const EVENTS_PER_READ = 200;

// order_events_after waits for the order's writers in flight, so rows come in commit order (Migration20261208120000).
const eventsAfter = statement('order_events_after', `select * from order_events_after($1::uuid, $2::bigint, ${EVENTS_PER_READ})`);

/** The order's timeline rows after `afterId` (0: from the start), oldest first. */
export async function orderEventsAfter(em: EntityManager, orderId: string, afterId: bigint): Promise<OrderEventRow[]> {
  return sqlRows<OrderEventRow>(em, eventsAfter, [orderId, afterId.toString()]);
}

export interface OrderChangeListener {
  close(): Promise<void>;
}

/**
 * Listens on its own connection (a LISTEN holds its connection for as long as it listens, so not
 * one of the pool's) and calls `changed(orderId)` for each notification. Each time it starts
 * listening (the first time, and after a dropped connection, retried every `retryMs`) it calls
 * `listening()`: what changed before that was never notified to it, so the caller re-reads what it follows.
 */
export function listenForOrderChanges(em: EntityManager, handlers: {
  changed: (orderId: string) => void; listening: () => void; failed: (err: Error) => void; retryMs?: number;
}): OrderChangeListener {
  const options = sqlPoolOf(em).options;
  let client: Client | undefined;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  const connect = async (): Promise<void> => {
    const next = new Client({ connectionString: options.connectionString });
    next.on('notification', (n) => { if (n.channel === 'order_events' && n.payload) handlers.changed(n.payload); });
    next.on('error', (err) => handlers.failed(err));
    next.on('end', () => {
      if (closed || client !== next) return;
      client = undefined;
      timer = setTimeout(() => void connect(), handlers.retryMs ?? 1_000);
    });
    try {
      await next.connect();
      await next.query('listen order_events');
    } catch (err) {
      handlers.failed(err as Error);
      await next.end().catch(() => undefined);
      if (!closed) timer = setTimeout(() => void connect(), handlers.retryMs ?? 1_000);
      return;
    }
    if (closed) return void (await next.end().catch(() => undefined));
    client = next;
    handlers.listening();
  };
  const connecting = connect();
  return {
    close: async () => {
      closed = true;
      clearTimeout(timer);
      await connecting;
      const c = client;
      client = undefined;
      await c?.end().catch(() => undefined);
    },
  };
}
