/**
 * Provider webhooks: Stripe's payment events and Twilio's SMS delivery reports. Both verify the
 * provider's signature over the request exactly as sent, so they take the raw body (rawBody in
 * src/api/http.ts, which checks its text at the boundary first) and are mounted ahead of the JSON
 * body parser (src/api/app.ts). A missing or bad signature changes
 * nothing and is answered 400 (Stripe) or 403 (Twilio).
 *
 * Stripe: each event is kept once in webhook_events (insert, on conflict do nothing) and handed to
 * the order's payment workflow (payment-<orderId>, the id from the intent's metadata) as the
 * paymentEvent signal. A redelivery of an event already handled answers {duplicate: true} and
 * signals nothing; one whose handling failed (Temporal unreachable: 503) is handled again.
 * Refund events (refund.updated, refund.failed, charge.refund.updated) settle a pending refund in the
 * database instead (src/store/refunds.ts); no workflow is involved.
 */
import Stripe from 'stripe';
import twilio from 'twilio';
import type { Context } from 'koa';
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../../domain/errors';
import { applyDeliveryReport, keepDeliveryReport } from '../../store/delivery-reports';
import { applyRefundReport, type RefundOutcome } from '../../store/refunds';
import { keepWebhookEvent, markWebhookEventProcessed } from '../../store/webhook-events';
import type { Logger } from '../../logger';
import { paymentEventSignal, type PaymentEvent } from '../../contracts/payment';
import { workflowIds } from '../../contracts/temporal';
import type { AppDeps } from '../deps';
import { sendError } from '../errors';
import { route } from '../http';
import { countDecline } from '../rate-limits';

/**
 * How long a signal may take before the event is answered 503 (and redelivered later): well inside
 * the time a provider waits for a webhook's answer, so an unreachable Temporal costs a retry, not a timeout.
 */
const SIGNAL_DEADLINE_MS = 5_000;

const PAYMENT_EVENTS: PaymentEvent['type'][] = ['payment_intent.amount_capturable_updated', 'payment_intent.succeeded',
  'payment_intent.payment_failed', 'payment_intent.requires_action', 'payment_intent.canceled'];
/** Events whose object is a Refund: its status there is Stripe's answer for that refund (src/store/refunds.ts). */
const REFUND_EVENTS = ['refund.updated', 'refund.failed', 'charge.refund.updated'];

/**
 * - delivered: signalled to the order's payment workflow
 * - workflow_not_running: no payment workflow is running for the order (see deliver())
 * - not_an_order: the intent carries no order id (made by something else on the same account)
 * - ignored: an event type neither the payment workflow nor the refunds act on
 * - refund_succeeded, refund_failed, refund_unchanged, unknown_refund: a refund event (applyRefundReport)
 */
type Outcome = 'delivered' | 'workflow_not_running' | 'not_an_order' | 'ignored' | RefundOutcome;

const receipt = z.object({ received: z.literal(true), duplicate: z.boolean(), outcome: z.string().optional() }).meta({ id: 'WebhookReceipt' });

export type WebhookDeps = Pick<AppDeps, 'orm' | 'temporal' | 'stripeWebhookSecret' | 'twilioAuthToken' | 'publicBaseUrl' | 'limits'>;

export function providerWebhookRoutes(deps: WebhookDeps) {
  return [
    route({
      method: 'post', path: '/webhooks/stripe', tag: 'webhooks', access: 'webhook', rawBody: 'json',
      summary: 'Stripe payment events (signed); succeeded, failed and 3-D Secure outcomes reach the order\'s payment workflow; refund outcomes settle pending refunds',
      headers: { 'Stripe-Signature': { required: true, description: 'Stripe\'s signature of the raw body (t=…,v1=…), checked with STRIPE_WEBHOOK_SECRET' } },
      responses: {
        200: { description: 'Received (or a redelivery of an event already handled: duplicate true)', schema: receipt },
        400: { description: 'Missing or bad signature: nothing was done' },
        503: { description: 'Not configured, or the workflow service did not answer: Stripe delivers it again later' },
      },
      handler: async (ctx, { raw }) => {
        const secret = deps.stripeWebhookSecret;
        if (!secret) return sendError(ctx, ErrorCode.NotConfigured, 'Stripe webhooks are not configured on this server (STRIPE_WEBHOOK_SECRET is not set).');
        let event: Stripe.Event;
        try {
          event = Stripe.webhooks.constructEvent(raw, ctx.get('Stripe-Signature'), secret);
        } catch (err) {
          logger(ctx).warn({ reason: (err as Error).message }, 'Stripe webhook refused: bad or missing signature');
          return sendError(ctx, ErrorCode.InvalidSignature, `The Stripe-Signature header does not verify: ${(err as Error).message} Nothing was done.`);
        }
        const log = logger(ctx).child({ eventId: event.id, type: event.type });
        if (!(await keepWebhookEvent(deps.orm.em.fork(), { provider: 'stripe', eventId: event.id, type: event.type, payload: event }))) {
          log.info('Stripe webhook redelivered; already handled');
          ctx.body = { received: true, duplicate: true };
          return;
        }
        const outcome = await deliver(deps, event, log);
        await markWebhookEventProcessed(deps.orm.em.fork(), 'stripe', event.id, outcome);
        ctx.body = { received: true, duplicate: false, outcome };
      },
    }),
    route({
      method: 'post', path: '/webhooks/twilio', tag: 'webhooks', access: 'webhook', rawBody: 'form',
      summary: 'Twilio SMS delivery reports (signed); the outbox row becomes delivered or undelivered',
      headers: { 'X-Twilio-Signature': { required: true, description: 'Twilio\'s signature of the URL and form parameters, checked with TWILIO_AUTH_TOKEN' } },
      responses: {
        200: { description: 'Received', schema: z.object({ received: z.literal(true), updated: z.number().int() }) },
        403: { description: 'Missing or bad signature: nothing was changed' },
        503: { description: 'Not configured (TWILIO_AUTH_TOKEN is not set)' },
      },
      handler: async (ctx, { raw }) => {
        const token = deps.twilioAuthToken;
        if (!token) return sendError(ctx, ErrorCode.NotConfigured, 'Twilio webhooks are not configured on this server (TWILIO_AUTH_TOKEN is not set).');
        const params = Object.fromEntries(new URLSearchParams(raw.toString('utf8')));
        // Twilio signs the URL it called: ours as the world sees it (PUBLIC_BASE_URL), not as the proxy in front of us forwarded it.
        const url = `${(deps.publicBaseUrl ?? ctx.origin).replace(/\/$/, '')}${ctx.originalUrl}`;
        if (!twilio.validateRequest(token, ctx.get('X-Twilio-Signature'), url, params)) {
          logger(ctx).warn({ url }, 'Twilio webhook refused: bad or missing signature');
          return sendError(ctx, ErrorCode.InvalidSignature, 'The X-Twilio-Signature header does not verify for this URL and body. Nothing was changed.', {}, 403);
        }
        ctx.body = { received: true, updated: await recordDelivery(deps.orm, params, logger(ctx)) };
      },
    }),
  ];
}

async function deliver(deps: WebhookDeps, event: Stripe.Event, log: Logger): Promise<Outcome> {
  if (REFUND_EVENTS.includes(event.type)) return settleRefund(deps, event.data.object as Stripe.Refund, log);
  if (!PAYMENT_EVENTS.includes(event.type as PaymentEvent['type'])) return 'ignored';
  const intent = event.data.object as Stripe.PaymentIntent;
  const orderId = intent.metadata?.orderId;
  if (!orderId) return 'not_an_order';
  // A failure reported here (a 3-D Secure the cardholder failed, or a decline) counts against the cart's and customer's limits, once per order.
  if (event.type === 'payment_intent.payment_failed') await countDecline(deps.orm.em.fork(), deps.limits, orderId);
  const client = deps.temporal.client;
  if (!client) throw unavailable('this API has no connection to the workflow service');
  const signal: PaymentEvent = {
    eventId: event.id,
    type: event.type as PaymentEvent['type'],
    providerRef: intent.id,
    ...(intent.last_payment_error ? { declineCode: intent.last_payment_error.decline_code || intent.last_payment_error.code || 'payment_failed' } : {}),
  };
  try {
    // The payment workflow buffers events from its first moment, so one that arrives before it
    // waits for 3-D Secure (or out of order) is kept and read when it gets there.
    await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
      client.workflow.getHandle(workflowIds.payment(orderId)).signal(paymentEventSignal, signal));
    log.info({ orderId, intentId: intent.id }, 'Stripe event delivered to the payment workflow');
    return 'delivered';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // The payment workflow starts before its PaymentIntent exists (it creates it), so an intent
      // without a running workflow belongs to a payment already decided: authorized, declined, or
      // timed out and voided. The event cannot change that; a non-2xx answer would only make Stripe
      // retry it for three days. It is kept in webhook_events with this outcome for support to see.
      log.warn({ orderId, intentId: intent.id }, 'Stripe event for an order whose payment workflow is not running; recorded, nothing to deliver');
      return 'workflow_not_running';
    }
    log.error({ err, orderId }, 'Stripe event could not be delivered; answered 503 so Stripe delivers it again');
    throw unavailable('the workflow service did not answer');
  }
}

/** A refund's status as Stripe reports it, applied to our refund row; the object's status is the truth, not the event's type. */
async function settleRefund(deps: WebhookDeps, refund: Stripe.Refund, log: Logger): Promise<Outcome> {
  const { outcome, orderId } = await applyRefundReport(deps.orm.em.fork(), { refundRef: refund.id, status: refund.status ?? 'pending',
    failureReason: refund.failure_reason, idempotencyKey: refund.metadata?.idempotencyKey });
  const fields = { refundId: refund.id, status: refund.status, failureReason: refund.failure_reason, orderId };
  if (outcome === 'unknown_refund') log.warn(fields, 'Stripe refund event for a refund we have no record of; acknowledged, nothing changed');
  else if (outcome === 'refund_failed') log.warn(fields, 'Stripe refund failed: its amount is refundable again and support has a refund_failed notice');
  else log.info({ ...fields, outcome }, 'Stripe refund event applied');
  return outcome;
}

/**
 * Keeps a Twilio message's final report and moves its outbox row on to it; earlier states (queued,
 * sent) change nothing. A report for a row not yet marked sent is applied when it is.
 */
async function recordDelivery(orm: MikroORM, params: Record<string, string>, log: Logger): Promise<number> {
  const { MessageSid: sid, MessageStatus: status, ErrorCode: errorCode } = params;
  const final = status === 'delivered' ? 'delivered' : status === 'undelivered' || status === 'failed' ? 'undelivered' : undefined;
  if (!sid || !final) return 0;
  const em = orm.em.fork();
  await keepDeliveryReport(em, { provider: 'twilio', messageId: sid, status: final,
    detail: `Twilio reported ${status}${errorCode ? ` (error ${errorCode})` : ''}` });
  const rows = await applyDeliveryReport(em, 'twilio', sid);
  log.info({ messageSid: sid, status, updated: rows.length, orderId: rows[0]?.order_id },
    rows.length ? 'Twilio delivery report' : 'Twilio delivery report kept: its message is not recorded as sent yet');
  return rows.length;
}

function logger(ctx: Context): Logger {
  return ctx.state.logger as Logger;
}

function unavailable(why: string): DomainError {
  return new DomainError(ErrorCode.ServiceUnavailable, `The event was not taken: ${why}. Deliver it again later.`, {});
}
