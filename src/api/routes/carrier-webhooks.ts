/**
 * POST /webhooks/carrier: the carrier tells us a parcel was scanned. The request is signed
 * (HMAC-SHA256 with CARRIER_WEBHOOK_SECRET over "<timestamp>.<raw body>", Stripe's scheme), fresh
 * (5 minutes either way) and seen once (webhook_events, provider 'carrier'); only then is it
 * handed to the parcel's tracking workflow as a signal. A bad signature changes nothing.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { Context, Middleware } from 'koa';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DomainError, ErrorCode } from '../../domain/errors';
import type { Logger } from '../../logger';
import { carrierEventSignal, SHIPMENT_STATUSES, type CarrierEvent } from '../../contracts/shipment';
import { workflowIds } from '../../contracts/temporal';
import { FINAL_SHIPMENT_STATUSES } from '../../contracts/shipment';
import type { AppDeps } from '../deps';
import { emOf } from '../context';
import { shipmentByTrackingNumber } from '../../store/shipments';
import { handleWebhookEventOnce } from '../../store/webhook-events';
import { sendError } from '../errors';
import { route } from '../http';

export const SIGNATURE_HEADER = 'X-Carrier-Signature';
/** How old (or how far ahead) a signature's timestamp may be: a captured request cannot be replayed later. */
const TOLERANCE_SECONDS = 300;
/** Shipments no tracking workflow follows any more: arrived, returned, or a label cancelled before dispatch. */
const NOT_TRACKED: readonly string[] = [...FINAL_SHIPMENT_STATUSES, 'voided'];

/** The header value for a body: what the carrier sends, and what tests and benchmarks use. */
export function signCarrierWebhook(secret: string, rawBody: string, unixSeconds = Math.floor(Date.now() / 1000)): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${rawBody}`, 'utf8').digest('hex')}`;
}

// Not strict, unlike our own API's bodies: carriers add fields over time, and an extra field is no reason to drop a scan.
const carrierWebhookBody = z.object({
  trackingNumber: z.string().regex(/^[A-Za-z0-9-]{4,64}$/, 'a tracking number such as SIM1A2B3C4D5E6F'),
  eventId: z.string().min(1).max(200).meta({ description: 'The carrier\'s id of the scan; a redelivery has the same id.' }),
  status: z.enum(SHIPMENT_STATUSES),
  occurredAt: z.iso.datetime({ offset: true, message: 'an ISO 8601 time such as 2026-11-26T09:30:00Z' }),
  description: z.string().max(500).optional(),
}).meta({ id: 'CarrierWebhook' });

const outcome = z.enum(['signalled', 'duplicate', 'unknown_tracking_number', 'tracking_ended']);
const accepted = z.object({ received: z.literal(true), eventId: z.string(), outcome }).meta({ id: 'CarrierWebhookReceipt' });

type Deps = Pick<AppDeps, 'temporal' | 'carrierWebhookSecret'>;

export function carrierWebhookRoutes(deps: Deps) {
  return [
    route({
      method: 'post', path: '/webhooks/carrier', tag: 'webhooks', access: 'webhook',
      summary: 'A carrier scan of a parcel, signed by the carrier; the parcel\'s tracking workflow applies it',
      headers: { [SIGNATURE_HEADER]: { required: true,
        description: 't=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" with the shared secret>; at most 5 minutes old' } },
      body: carrierWebhookBody,
      before: [verifySignature(deps.carrierWebhookSecret)],
      responses: {
        200: { description: 'Received: handed to the tracking workflow, or already seen, or about no parcel of ours', schema: accepted },
        400: { description: 'Bad signature, stale timestamp or invalid body: nothing was done' },
        503: { description: 'Not configured, or the tracking workflow cannot take it yet: deliver it again later' },
      },
      handler: async (ctx, { body }) => {
        const log = (ctx.state.logger as Logger).child({ eventId: body.eventId, trackingNumber: body.trackingNumber });
        const em = emOf(ctx);
        const shipment = await shipmentByTrackingNumber(em, body.trackingNumber);
        if (!shipment) {
          // Not ours (or another account's): retrying would never help, so it is acknowledged and not kept.
          log.warn('carrier webhook for a tracking number we do not know; acknowledged and ignored');
          return answer(ctx, body.eventId, 'unknown_tracking_number');
        }
        const client = deps.temporal.client;
        if (!client) throw unavailable('this API has no connection to the workflow service');
        const event: CarrierEvent = { eventId: body.eventId, status: body.status, occurredAt: new Date(body.occurredAt).toISOString(),
          ...(body.description ? { description: body.description } : {}) };

        // Kept once, in the same transaction as the signal is sent: if the signal fails, the carrier's retry gets through.
        const result = await handleWebhookEventOnce(em, { provider: 'carrier', eventId: body.eventId, type: body.status, payload: body }, async () => {
          try {
            await client.workflow.getHandle(workflowIds.shipment(shipment.id)).signal(carrierEventSignal, event);
            return 'signalled' as const;
          } catch (err) {
            if (err instanceof WorkflowNotFoundError && NOT_TRACKED.includes(shipment.status)) return 'tracking_ended' as const;
            if (err instanceof WorkflowNotFoundError) {
              log.warn({ shipmentId: shipment.id }, 'carrier webhook before tracking started; answered 503 so the carrier retries');
              throw unavailable(`tracking of parcel ${body.trackingNumber} has not started yet`);
            }
            log.error({ err, shipmentId: shipment.id }, 'carrier webhook could not be handed to tracking; answered 503 so the carrier retries');
            throw unavailable('the workflow service did not answer');
          }
        });
        log.info({ shipmentId: shipment.id, orderId: shipment.order_id, status: body.status, outcome: result }, 'carrier webhook received');
        answer(ctx, body.eventId, result);
      },
    }),
  ];
}

function answer(ctx: Context, eventId: string, result: z.infer<typeof outcome>): void {
  ctx.status = 200;
  ctx.body = { received: true, eventId, outcome: result };
}

function unavailable(why: string): DomainError {
  return new DomainError(ErrorCode.ServiceUnavailable, `The scan was not taken: ${why}. Deliver it again later.`, {});
}

/** Checks the signature over the raw bytes before anything else reads the body. */
function verifySignature(secret: string | undefined): Middleware {
  return async (ctx, next) => {
    if (!secret) {
      sendError(ctx, ErrorCode.NotConfigured, 'Carrier webhooks are not configured on this server (CARRIER_WEBHOOK_SECRET is not set).');
      return;
    }
    const refusal = signatureRefusal(secret, ctx.get(SIGNATURE_HEADER), (ctx.request as { rawBody?: string }).rawBody ?? '', Math.floor(Date.now() / 1000));
    if (refusal) {
      (ctx.state.logger as Logger).warn({ reason: refusal }, 'carrier webhook refused: bad signature');
      sendError(ctx, ErrorCode.InvalidSignature, `The ${SIGNATURE_HEADER} header does not verify: ${refusal}. Nothing was done.`, { reason: refusal });
      return;
    }
    await next();
  };
}

/** Why a signature is refused, or undefined when it is good. Every v1 is compared in constant time (secret rotation sends two). */
export function signatureRefusal(secret: string, header: string, rawBody: string, nowSeconds: number): string | undefined {
  const parts = header.split(',').map((p) => p.trim().split('='));
  const t = parts.find(([k]) => k === 't')?.[1];
  const signatures = parts.filter(([k, v]) => k === 'v1' && /^[0-9a-f]{64}$/i.test(v ?? '')).map(([, v]) => Buffer.from(v, 'hex'));
  if (!t || !/^\d{1,12}$/.test(t) || signatures.length === 0) return 'the header is missing or malformed (expected t=<unix seconds>,v1=<hex>)';
  if (Math.abs(nowSeconds - Number(t)) > TOLERANCE_SECONDS) return `the timestamp is more than ${TOLERANCE_SECONDS / 60} minutes away from now`;
  const expected = createHmac('sha256', secret).update(`${t}.${rawBody}`, 'utf8').digest();
  let matched = false;
  for (const signature of signatures) if (timingSafeEqual(signature, expected)) matched = true;
  return matched ? undefined : 'the signature does not match the body';
}
