/**
 * GET /orders/:id/events: the order's timeline as server-sent events, pushed as it changes (payment
 * authorized, packed, label bought, shipped, each carrier scan, delivered), for whoever may read the
 * order (its access token, its customer's session, staff). Each event carries its id; a client that
 * reconnects sends the last one as Last-Event-ID and gets only what came after. The events come
 * from the database through the API's OrderEventHub: one read per change, however many pages follow it.
 */
import { PassThrough } from 'node:stream';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { route } from '../http';
import { orderId } from '../schemas';
import type { Follower, TimelineEvent } from '../order-event-hub';

/** How long a browser waits before reconnecting after the stream drops (the SSE `retry:` field). */
const RECONNECT_AFTER_MS = 2_000;

export const timelineEventView = z.object({
  id: z.string().meta({ description: 'Increasing; send the last one received as Last-Event-ID to resume.' }),
  at: z.string(),
  kind: z.enum(['order', 'payment', 'fulfillment', 'shipment', 'scan', 'refund']),
  status: z.string(),
  text: z.string().meta({ description: 'What happened, in plain words for the customer.' }),
  orderStatus: z.string().meta({ description: 'The order\'s status when the event was sent.' }),
  detail: z.record(z.string(), z.unknown()).meta({ description: 'Facts of the change: decline code, warehouse, carrier and tracking number, scan description, refund amount.' }),
}).meta({ id: 'OrderTimelineEvent' });

export function orderEventRoutes(deps: Pick<AppDeps, 'orderEvents'>) {
  return [
    route({
      method: 'get', path: '/orders/:id/events', tag: 'orders', access: { orderToken: true, staff: ['support', 'warehouse'] },
      summary: 'The order\'s timeline as server-sent events (text/event-stream), pushed as it changes; resumes after Last-Event-ID',
      params: z.strictObject({ id: orderId }),
      query: z.strictObject({ lastEventId: z.string().regex(/^\d{1,18}$/).optional()
        .meta({ description: 'The same as the Last-Event-ID header, for a client that cannot set headers; the header wins.' }) }),
      headers: { 'Last-Event-ID': { required: false, description: 'The id of the last event received: only later events are sent. Without it, the whole timeline first.' } },
      responses: { 200: { description: 'A stream of `event: timeline` messages, each `data:` one OrderTimelineEvent as JSON; comment lines keep it alive',
        schema: timelineEventView, contentType: 'text/event-stream' } },
      handler: async (ctx, { params, query }) => {
        const header = ctx.get('Last-Event-ID');
        const lastId = BigInt(/^\d{1,18}$/.test(header) ? header : query.lastEventId ?? '0');
        const stream = new PassThrough();
        ctx.status = 200;
        ctx.type = 'text/event-stream';
        ctx.set('Cache-Control', 'no-cache, no-transform');
        // Tells nginx-style proxies not to buffer the stream.
        ctx.set('X-Accel-Buffering', 'no');
        ctx.req.socket.setNoDelay(true);
        ctx.req.socket.setTimeout(0);
        ctx.body = stream;
        stream.write(`retry: ${RECONNECT_AFTER_MS}\n\n`);
        const follower: Follower = {
          lastId,
          send: (events: TimelineEvent[]) => { for (const e of events) stream.write(`id: ${e.id}\nevent: timeline\ndata: ${JSON.stringify(e)}\n\n`); },
          ping: () => { stream.write(': ping\n\n'); },
          end: () => { stream.end(); },
        };
        const unfollow = deps.orderEvents.follow(params.id, follower);
        ctx.req.once('close', () => { unfollow(); stream.end(); });
      },
    }),
  ];
}
