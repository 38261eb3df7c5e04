/**
 * Every support action, once, for the `support` CLI and the staff routes alike. An action goes to
 * the order's workflow as a query, signal or update, never as a database write around it: the
 * workflow's validators decide, and their reason is what the caller sees. The database is only
 * read (does the order exist, what was charged), and written for the audit trail: each action is
 * recorded in support_actions before it is sent ('pending') and completed with its outcome.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { MikroORM } from '@mikro-orm/postgresql';
import { ErrorCode } from '../domain/errors';
import { minorUnitDigits } from '../domain/money';
import { addressProblems, type ShippingAddress } from '../domain/order';
import { actorOf, type StaffPrincipal } from '../domain/staff';
import { cancelOrderUpdate, changeShippingAddressUpdate, holdOrderUpdate, releaseOrderUpdate, statusQuery, type OrderState } from '../contracts/order';
import { carrierEventSignal, SHIPMENT_STATUSES, type ShipmentStatus } from '../contracts/shipment';
import { refundPaymentUpdate, resendNotificationUpdate, retryPaymentUpdate, supportNoteSignal, type RefundOutcome, type ResendOutcome } from '../contracts/support';
import { workflowIds } from '../contracts/temporal';
import { latestPaymentOfOrder } from '../store/payments';
import { orderById, revokeOrderAccess, type OrderRow } from '../store/orders';
import { shipmentById, shipmentOfOrder as parcelOfOrder } from '../store/shipments';
import { completeSupportAction, recordSupportAction } from '../store/support';
import { outcomeOf, SupportError } from './errors';

export { outcomeOf, SupportError } from './errors';
export { findOrders, type FindFilters, type FoundOrder } from './find';

export interface SupportDeps {
  client: Client;
  orm: MikroORM;
  /** Where workflows this side starts run (TEMPORAL_TASK_QUEUE): a customer's erasure. */
  taskQueue?: string;
}

export interface Caller {
  /** Who asks: the owner of the staff key the request or the command carried (the router or the CLI checked its role). */
  staff: StaffPrincipal;
  via: 'cli' | 'api';
  /** The same id for a retried request makes it the same request (the workflow update id); a UUID. */
  requestId?: string;
}

export interface Done<T> {
  action: string;
  auditId: string;
  result: T;
  /** One line for a person: what happened. */
  summary: string;
}

export async function orderStatus(deps: SupportDeps, orderId: string): Promise<OrderState> {
  await requireOrder(deps, orderId);
  try {
    return await deps.client.workflow.getHandle(workflowIds.checkout(orderId)).query(statusQuery);
  } catch (err) {
    throw classify(err, orderId, 'the order\'s workflow');
  }
}

export function cancelOrder(deps: SupportDeps, caller: Caller, orderId: string, reason: string): Promise<Done<OrderState>> {
  return act(deps, caller, { action: 'cancel', orderId, reason, request: { reason } }, async (updateId) => {
    await requireOrder(deps, orderId);
    const state = await update(deps, orderId, () => deps.client.workflow.getHandle(workflowIds.checkout(orderId))
      .executeUpdate(cancelOrderUpdate, { args: [{ actor: actorOf(caller.staff), reason }], updateId }));
    return { result: state, summary: `order ${orderId} is ${state.status}${state.pendingCompensations.length ? ` (still undoing: ${state.pendingCompensations.join(', ')})` : ''}` };
  });
}

export function holdOrder(deps: SupportDeps, caller: Caller, orderId: string, reason: string, held: boolean): Promise<Done<OrderState>> {
  return act(deps, caller, { action: held ? 'hold' : 'release', orderId, reason, request: { reason } }, async (updateId) => {
    await requireOrder(deps, orderId);
    const state = await update(deps, orderId, () => deps.client.workflow.getHandle(workflowIds.checkout(orderId))
      .executeUpdate(held ? holdOrderUpdate : releaseOrderUpdate, { args: [{ actor: actorOf(caller.staff), reason }], updateId }));
    return { result: state, summary: `order ${orderId} is ${state.held ? 'on hold' : 'no longer on hold'} (${state.status})` };
  });
}

/** Changes some fields of the shipping address; the rest stay as they are. */
export function changeAddress(deps: SupportDeps, caller: Caller, orderId: string, fields: Partial<ShippingAddress>, reason: string): Promise<Done<OrderState>> {
  return act(deps, caller, { action: 'change_address', orderId, reason, request: { fields, reason } }, async (updateId) => {
    const order = await requireOrder(deps, orderId);
    const address = { ...order.shipping_address, ...fields };
    for (const key of Object.keys(address) as (keyof ShippingAddress)[]) if (address[key] === '') delete address[key];
    const problems = addressProblems(address);
    if (problems.length) throw new SupportError(ErrorCode.ValidationFailed, `the new address is not valid: ${problems.join('; ')}`);
    const state = await update(deps, orderId, () => deps.client.workflow.getHandle(workflowIds.checkout(orderId))
      .executeUpdate(changeShippingAddressUpdate, { args: [{ ...address, actor: actorOf(caller.staff), reason }], updateId }));
    return { result: state, summary: `order ${orderId} now ships to the new address (${Object.keys(fields).join(', ')} changed)` };
  });
}

/** occurrence: which one of a message the order was sent more than once (a parcel out for delivery twice); absent: the latest. */
export function resendNotification(deps: SupportDeps, caller: Caller, orderId: string, template: string, channel: 'email' | 'sms', reason: string,
  occurrence?: number): Promise<Done<ResendOutcome>> {
  return act(deps, caller, { action: 'resend', orderId, reason, request: { template, channel, occurrence, reason } }, async (updateId) => {
    await requireOrder(deps, orderId);
    const outcome = await update(deps, orderId, () => deps.client.workflow.getHandle(workflowIds.checkout(orderId))
      .executeUpdate(resendNotificationUpdate, { args: [{ actor: actorOf(caller.staff), reason, template, channel, occurrence }], updateId }));
    const which = outcome.occurrence !== undefined && outcome.occurrence > 1 ? ` #${outcome.occurrence}` : '';
    return { result: outcome, summary: `the ${channel} "${template}"${which} of order ${orderId}: ${outcome.status.replace('_', ' ')}` };
  });
}

export type RefundDone = (RefundOutcome & { action: 'refunded' }) | { action: 'voided'; state: OrderState };

/**
 * Refunds captured money through the order's refundPayment update. Before capture there is nothing
 * to refund: the whole authorization is voided, which means the order cannot ship, so it goes
 * through the order's cancel update (its compensations void the payment, release the stock and
 * tell the customer). A partial amount before capture is refused.
 */
export function refundOrder(deps: SupportDeps, caller: Caller, orderId: string, amountText: string | undefined, reason: string,
  lines?: { sku: string; quantity: number }[]): Promise<Done<RefundDone>> {
  if (lines && amountText !== undefined) throw new SupportError(ErrorCode.ValidationFailed, 'give either an amount or lines to refund, not both');
  return act<RefundDone>(deps, caller, { action: 'refund', orderId, reason, request: { amount: amountText ?? null, ...(lines ? { lines } : {}), reason } }, async (updateId) => {
    const order = await requireOrder(deps, orderId);
    const amount = amountText === undefined ? undefined : parseAmount(amountText, order.currency);
    const payment = await latestPaymentOfOrder(deps.orm.em.fork(), orderId);
    const handle = deps.client.workflow.getHandle(workflowIds.checkout(orderId));
    if (payment?.status === 'authorized' && Number(payment.captured_amount) === 0) {
      if (lines || (amount !== undefined && amount !== Number(payment.amount))) {
        throw new SupportError(ErrorCode.ActionRefused, `order ${orderId} has not been charged yet (its payment is only authorized): `
          + 'a partial refund is not possible before capture; refund after it ships, or refund in full to void the authorization (the order is cancelled)');
      }
      const state = await update(deps, orderId, () => handle.executeUpdate(cancelOrderUpdate,
        { args: [{ actor: actorOf(caller.staff), reason: `refund before capture, so the authorization is voided: ${reason}` }], updateId }));
      return { result: { action: 'voided', state }, summary: `nothing was charged for order ${orderId}: its authorization is voided and the order is ${state.status}` };
    }
    const outcome: RefundOutcome = await update(deps, orderId,
      () => handle.executeUpdate(refundPaymentUpdate, { args: [{ actor: actorOf(caller.staff), reason, amount, ...(lines ? { lines } : {}), currency: order.currency }], updateId }));
    const status = outcome.status ?? 'succeeded';
    const money = (n: number) => formatAmount(n, outcome.currency);
    const totals = `${money(outcome.refundedAmount)} of ${money(outcome.capturedAmount)} captured is refunded in all`
      + `${outcome.pendingAmount ? `, ${money(outcome.pendingAmount)} pending` : ''}`;
    return { result: { action: 'refunded', ...outcome, status, pendingAmount: outcome.pendingAmount ?? 0 },
      summary: status === 'pending'
        ? `the refund of ${money(outcome.refunded)} of order ${orderId} is PENDING at the payment provider: not refunded yet (${totals}); `
          + 'if it fails, its amount can be refunded again and a refund_failed notice appears in the notices'
        : `refunded ${money(outcome.refunded)} of order ${orderId} (${totals})` };
  });
}

export function retryPayment(deps: SupportDeps, caller: Caller, orderId: string, reason: string): Promise<Done<OrderState>> {
  return act(deps, caller, { action: 'retry_payment', orderId, reason, request: { reason } }, async (updateId) => {
    await requireOrder(deps, orderId);
    const state = await update(deps, orderId, () => deps.client.workflow.getHandle(workflowIds.checkout(orderId))
      .executeUpdate(retryPaymentUpdate, { args: [{ actor: actorOf(caller.staff), reason }], updateId }));
    return { result: state, summary: `the payment of order ${orderId} is ${state.payment.status}; the order is ${state.status}` };
  });
}

/** A carrier scan recorded by hand: a signal to the shipment's tracking workflow, and a note in the order's timeline. */
export function recordCarrierEvent(deps: SupportDeps, caller: Caller, shipmentId: string, status: string, reason: string,
  opts: { eventId?: string; occurredAt?: string } = {}): Promise<Done<{ shipmentId: string; orderId: string; eventId: string; status: ShipmentStatus; timelineNote: boolean }>> {
  if (!SHIPMENT_STATUSES.includes(status as ShipmentStatus)) {
    throw new SupportError(ErrorCode.ValidationFailed, `"${status}" is not a shipment status; one of: ${SHIPMENT_STATUSES.join(', ')}`);
  }
  return act(deps, caller, { action: 'carrier_event', shipmentId, reason, request: { status, reason, ...opts } }, async (updateId) => {
    const shipment = await shipmentById(deps.orm.em.fork(), shipmentId);
    if (!shipment) throw new SupportError(ErrorCode.ShipmentNotFound, `shipment ${shipmentId} does not exist`);
    const eventId = opts.eventId ?? `support-${updateId}`;
    const description = `recorded by hand by ${actorOf(caller.staff)}: ${reason}`;
    try {
      await deps.client.workflow.getHandle(workflowIds.shipment(shipmentId)).signal(carrierEventSignal,
        { eventId, status: status as ShipmentStatus, occurredAt: opts.occurredAt ?? new Date().toISOString(), description });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new SupportError(ErrorCode.ActionRefused,
          `shipment ${shipmentId} is not being tracked any more (it is ${shipment.status}); nothing was recorded`);
      }
      throw classify(err, shipment.order_id, 'the shipment\'s tracking workflow');
    }
    // The order's own timeline says so too; an order whose workflow has ended keeps the scan in the tracking history only.
    const timelineNote = await deps.client.workflow.getHandle(workflowIds.checkout(shipment.order_id))
      .signal(supportNoteSignal, { actor: actorOf(caller.staff), action: 'carrier_event', detail: `carrier event "${status}" for shipment ${shipmentId}: ${reason}` })
      .then(() => true, (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      });
    return { result: { shipmentId, orderId: shipment.order_id, eventId, status: status as ShipmentStatus, timelineNote },
      summary: `carrier event "${status}" recorded for shipment ${shipmentId} (order ${shipment.order_id})` };
  }, (result) => result.orderId);
}

/**
 * Revokes the order's access token (shared, leaked, or asked for by the customer): from now on it is
 * refused like a wrong one, and a replay of the checkout answers without one. Staff keep their access.
 * The database alone decides (no workflow is involved); a second revoke changes nothing.
 */
export function revokeAccessTokens(deps: Pick<SupportDeps, 'orm'>, caller: Caller, orderId: string, reason: string)
  : Promise<Done<{ orderId: string; revoked: boolean }>> {
  return act(deps, caller, { action: 'revoke_access', orderId, reason, request: { reason } }, async () => {
    await requireOrder(deps, orderId);
    const outcome = await revokeOrderAccess(deps.orm.em.fork(), orderId);
    const revoked = outcome === 'revoked';
    return { result: { orderId, revoked }, summary: revoked
      ? `the access token of order ${orderId} is revoked: it is refused from now on, and a replayed checkout gets none`
      : `the access token of order ${orderId} was already revoked; nothing changed` };
  });
}

/** The parcel of an order (one per order: shipments_one_per_order_idx), for a carrier event addressed by order id. */
export async function shipmentOfOrder(deps: SupportDeps, orderId: string): Promise<string> {
  const order = await requireOrder(deps, orderId);
  const shipment = await parcelOfOrder(deps.orm.em.fork(), orderId);
  if (!shipment) {
    throw new SupportError(ErrorCode.ActionRefused, `order ${orderId} has no parcel yet (it is ${order.status}); a carrier event needs a dispatched order`);
  }
  return shipment.id;
}

/** Amounts are minor units ("1000"), or major units with a decimal point ("10.00", in the order's currency). */
export function parseAmount(text: string, currency: string): number {
  const digits = minorUnitDigits(currency);
  const match = /^(\d{1,12})(?:\.(\d+))?$/.exec(text.trim());
  if (!match || (match[2] !== undefined && match[2].length > digits)) {
    throw new SupportError(ErrorCode.ValidationFailed,
      `"${text}" is not an amount: give minor units (e.g. 1000) or ${digits ? `an amount with up to ${digits} decimals (e.g. 10.00)` : 'a whole amount'} in ${currency}`);
  }
  const amount = match[2] === undefined ? Number(match[1]) : Number(match[1]) * 10 ** digits + Number(match[2].padEnd(digits, '0'));
  if (amount <= 0) throw new SupportError(ErrorCode.ValidationFailed, 'the amount must be above zero');
  return amount;
}

function formatAmount(amount: number, currency: string): string {
  const digits = minorUnitDigits(currency);
  return `${(amount / 10 ** digits).toFixed(digits)} ${currency}`;
}

// ---------------------------------------------------------------------------------------------

interface Audited { action: string; orderId?: string; shipmentId?: string; reason: string; request: Record<string, unknown> }

/** Records the action (pending), runs it, and records how it ended; the caller gets the result or a SupportError (a DomainError). */
async function act<T>(deps: Pick<SupportDeps, 'orm'>, caller: Caller, a: Audited, run: (updateId: string) => Promise<{ result: T; summary: string }>,
  orderOf?: (result: T) => string): Promise<Done<T>> {
  const auditId = caller.requestId ?? randomUUID();
  await recordSupportAction(deps.orm.em.fork(), { id: auditId, ...a, actor: actorOf(caller.staff), staffId: caller.staff.id,
    staffKeyId: caller.staff.keyId, via: caller.via });
  try {
    const { result, summary } = await run(auditId);
    await completeSupportAction(deps.orm.em.fork(), auditId, 'done', summary, orderOf?.(result));
    return { action: a.action, auditId, result, summary };
  } catch (err) {
    const failure = classify(err, a.orderId ?? a.shipmentId ?? '', 'the workflow');
    const outcome = ({ refused: 'refused', bad_request: 'refused', not_found: 'not_found', unavailable: 'failed' } as const)[outcomeOf(failure.code)];
    await completeSupportAction(deps.orm.em.fork(), auditId, outcome, failure.reason);
    throw failure;
  }
}

async function requireOrder(deps: Pick<SupportDeps, 'orm'>, orderId: string): Promise<OrderRow> {
  const order = await orderById(deps.orm.em.fork(), orderId);
  if (!order) throw new SupportError(ErrorCode.OrderNotFound, `order ${orderId} does not exist`);
  return order;
}

async function update<T>(deps: SupportDeps, orderId: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (err) {
    if (err instanceof WorkflowNotFoundError || /workflow execution already completed/i.test(String((err as Error)?.message))) {
      const order = await requireOrder(deps, orderId);
      throw new SupportError(ErrorCode.ActionRefused,
        `order ${orderId} is ${order.status} and its workflow has ended, so nothing about it can change any more`);
    }
    throw classify(err, orderId, 'the order\'s workflow');
  }
}

/** A workflow's "no" becomes a refusal with the validator's own words; anything else means the service did not answer. */
function classify(err: unknown, subject: string, what: string): SupportError {
  if (err instanceof SupportError) return err;
  if (err instanceof WorkflowUpdateFailedError) {
    const cause = err.cause as (Error & { type?: string }) | undefined;
    const code = cause?.type && (Object.values(ErrorCode) as string[]).includes(cause.type) ? cause.type : ErrorCode.ActionRefused;
    return new SupportError(code as ErrorCode, cause?.message ?? err.message);
  }
  if (err instanceof WorkflowNotFoundError) return new SupportError(ErrorCode.NotFound, `${what} of ${subject} is not there`);
  return new SupportError(ErrorCode.ServiceUnavailable,
    `${what} of ${subject} did not answer (${(err as Error)?.message ?? String(err)}); nothing may have changed: check its status and try again`);
}
