/**
 * Fans an order's timeline out to the pages following it (GET /orders/:id/events). One source per
 * order, driven by changes: the API process listens once for `NOTIFY order_events` (src/store/
 * order-events.ts) and, when an order that someone follows changes, reads its new rows once and
 * hands them to each of its followers; nothing asks Temporal, and nothing runs while nothing
 * changes. The listening connection is opened with the first follower and closed a little after
 * the last one leaves.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import { describeOrderEvent } from '../domain/order-timeline';
import type { Logger } from '../logger';
import { EVENTS_PER_READ, listenForOrderChanges, orderEventsAfter, type OrderChangeListener, type OrderEventRow } from '../store/order-events';

export interface TimelineEvent {
  id: string;
  at: string;
  kind: OrderEventRow['kind'];
  status: string;
  text: string;
  orderStatus: string;
  detail: OrderEventRow['detail'];
}

export interface Follower {
  /** The last event id this follower has (Last-Event-ID), as a number: only later ones are sent. */
  lastId: bigint;
  send(events: TimelineEvent[]): void;
  /** A comment line that keeps proxies from closing a quiet stream. */
  ping(): void;
  /** The hub is closing (the API stops): end the stream; the browser reconnects to another replica. */
  end(): void;
}

interface Followed { followers: Set<Follower>; reading?: Promise<void>; dirty: boolean }

/** A quiet stream still gets a comment this often (proxies commonly close idle connections after 60 s). */
const PING_EVERY_MS = 20_000;
/** Keeps the listening connection a little after the last follower left: a page reconnecting finds it open. */
const LINGER_MS = 10_000;

export class OrderEventHub {
  private readonly orders = new Map<string, Followed>();
  private listener?: OrderChangeListener;
  private pinger?: NodeJS.Timeout;
  private linger?: NodeJS.Timeout;
  /** Timeline reads made, for tests and metrics: one per change of a followed order, not one per follower. */
  reads = 0;

  constructor(private readonly orm: MikroORM, private readonly log: Logger) {}

  /** Starts following the order; the returned function stops. Events after `follower.lastId` are sent at once. */
  follow(orderId: string, follower: Follower): () => void {
    this.start();
    let followed = this.orders.get(orderId);
    if (!followed) this.orders.set(orderId, (followed = { followers: new Set(), dirty: false }));
    followed.followers.add(follower);
    this.refresh(orderId);
    return () => {
      followed.followers.delete(follower);
      if (followed.followers.size === 0 && this.orders.get(orderId) === followed) this.orders.delete(orderId);
      if (this.orders.size === 0) this.stopSoon();
    };
  }

  /** Ends every stream and stops listening (the API is stopping). */
  async close(): Promise<void> {
    for (const { followers } of this.orders.values()) for (const f of followers) f.end();
    this.orders.clear();
    await this.stop();
  }

  private start(): void {
    clearTimeout(this.linger);
    this.linger = undefined;
    if (this.listener) return;
    this.listener = listenForOrderChanges(this.orm.em.fork(), {
      changed: (orderId) => { if (this.orders.has(orderId)) this.refresh(orderId); },
      // Changes made before the LISTEN (at start, or while the connection was down) were never notified: read every followed order again.
      listening: () => { for (const orderId of this.orders.keys()) this.refresh(orderId); },
      failed: (err) => this.log.warn({ err }, 'order timeline listener: the connection failed; reconnecting'),
    });
    this.pinger = setInterval(() => { for (const { followers } of this.orders.values()) for (const f of followers) f.ping(); }, PING_EVERY_MS);
    this.pinger.unref();
  }

  private stopSoon(): void {
    clearTimeout(this.linger);
    this.linger = setTimeout(() => void this.stop(), LINGER_MS);
    this.linger.unref();
  }

  private async stop(): Promise<void> {
    clearTimeout(this.linger);
    clearInterval(this.pinger);
    const listener = this.listener;
    this.listener = undefined;
    await listener?.close();
  }

  /** One read at a time per order; a change during a read makes one more read after it. */
  private refresh(orderId: string): void {
    const followed = this.orders.get(orderId);
    if (!followed) return;
    if (followed.reading) {
      followed.dirty = true;
      return;
    }
    followed.reading = (async () => {
      try {
        do {
          followed.dirty = false;
          await this.readAndSend(orderId, followed);
        } while (followed.dirty && followed.followers.size > 0);
      } catch (err) {
        this.log.warn({ err, orderId }, 'order timeline: reading new events failed; the next change reads them');
      } finally {
        followed.reading = undefined;
      }
    })();
  }

  private async readAndSend(orderId: string, followed: Followed): Promise<void> {
    let after = [...followed.followers].reduce((min, f) => (f.lastId < min ? f.lastId : min), BigInt(Number.MAX_SAFE_INTEGER));
    for (;;) {
      this.reads += 1;
      const rows = await orderEventsAfter(this.orm.em.fork(), orderId, after);
      const events = rows.map(toTimelineEvent);
      for (const f of followed.followers) {
        const fresh = events.filter((e) => BigInt(e.id) > f.lastId);
        if (fresh.length === 0) continue;
        f.lastId = BigInt(fresh[fresh.length - 1].id);
        f.send(fresh);
      }
      if (rows.length < EVENTS_PER_READ) return;
      after = BigInt(rows[rows.length - 1].id);
    }
  }
}

export function toTimelineEvent(row: OrderEventRow): TimelineEvent {
  return { id: row.id, at: new Date(row.at).toISOString(), kind: row.kind, status: row.status, text: describeOrderEvent(row),
    orderStatus: row.orderStatus, detail: row.detail };
}
