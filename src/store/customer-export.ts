/**
 * Everything the shop holds about one customer, as one JSON document (GDPR art. 15 and 20: GET
 * /me/export, and staff's GET /admin/customers/:id/export): the account, saved addresses, sessions,
 * carts, orders with their lines and totals, payments (the provider's references and amounts, never
 * card data: the shop never sees any), refunds, shipments and their events, messages sent (template,
 * channel, status and time, not their text: the outbox drops it once sent), and the support actions
 * about their orders. Read in one repeatable-read transaction, so the parts agree with each other.
 */
import { IsolationLevel, type EntityManager } from '@mikro-orm/postgresql';
import { pgArray } from './erasures';

export const EXPORT_FORMAT = 'commerce-customer-export/1';

type Row = Record<string, unknown>;

export interface CustomerExport {
  format: typeof EXPORT_FORMAT;
  exportedAt: string;
  account: Row;
  addresses: Row[];
  sessions: Row[];
  carts: Row[];
  orders: Row[];
  messages: Row[];
  supportActions: Row[];
  erasure: Row | null;
}

/** undefined when there is no such customer. */
export async function customerExport(em: EntityManager, customerId: string): Promise<CustomerExport | undefined> {
  return em.transactional(async (tx) => {
    const q = <T = Row>(sql: string, args: unknown[] = [customerId]) => tx.execute<T[]>(sql, args);
    const [account] = await q(`select id, email, name, marketing_opt_in as "marketingOptIn", email_verified_at as "emailVerifiedAt",
      created_at as "createdAt", updated_at as "updatedAt", erasure_requested_at as "erasureRequestedAt", erased_at as "erasedAt"
      from customers where id = ?`);
    if (!account) return undefined;
    const orderRows = await q<Row & { id: string }>(`select id, status, email, phone, shipping_address as "shippingAddress", currency,
      subtotal_amount as "subtotalAmount", shipping_amount as "shippingAmount", total_amount as "totalAmount",
      created_at as "createdAt", updated_at as "updatedAt" from orders where customer_id = ? order by created_at, id`);
    const ids = orderRows.map((o) => o.id);
    const byOrder = async (sql: string) => group(await q<Row & { order_id: string }>(sql, [pgArray(ids)]), 'order_id');
    const [lines, payments, refunds, shipments, events] = await Promise.all([
      byOrder(`select order_id, sku, title, quantity, unit_price_amount as "unitPriceAmount", line_total_amount as "lineTotalAmount"
        from order_lines where order_id = any(?::uuid[]) order by sku`),
      byOrder(`select order_id, id, provider, provider_ref as "providerRef", status, amount, captured_amount as "capturedAmount",
        refunded_amount as "refundedAmount", currency, created_at as "createdAt" from payments where order_id = any(?::uuid[]) order by created_at`),
      byOrder(`select p.order_id, r.amount, r.status, r.reason, r.provider_ref as "providerRef", r.created_at as "createdAt"
        from refunds r join payments p on p.id = r.payment_id where p.order_id = any(?::uuid[]) order by r.created_at`),
      byOrder(`select order_id, id, carrier, tracking_number as "trackingNumber", status, created_at as "createdAt"
        from shipments where order_id = any(?::uuid[]) order by created_at`),
      byOrder(`select s.order_id, e.shipment_id as "shipmentId", e.status, e.description, e.occurred_at as "occurredAt"
        from shipment_events e join shipments s on s.id = e.shipment_id where s.order_id = any(?::uuid[]) order by e.occurred_at`),
    ]);
    const orders = orderRows.map((o) => ({
      ...o, lines: strip(lines.get(o.id)), payments: strip(payments.get(o.id)), refunds: strip(refunds.get(o.id)),
      shipments: strip(shipments.get(o.id)).map((s) => ({ ...s, events: strip(events.get(o.id)).filter((e) => e.shipmentId === s.id) })),
    }));
    const cartRows = await q<Row & { id: string }>(`select id, status, currency, created_at as "createdAt", updated_at as "updatedAt"
      from carts where customer_id = ? order by created_at`);
    const cartLines = group(await q<Row & { cart_id: string }>('select cart_id, sku, quantity, added_at as "addedAt" from cart_lines where cart_id = any(?::text[]) order by sku',
      [pgArray(cartRows.map((c) => c.id))]), 'cart_id');
    return {
      format: EXPORT_FORMAT,
      exportedAt: new Date().toISOString(),
      account,
      addresses: await q(`select id, name, line1, line2, city, region, postal_code as "postalCode", country, is_default as "isDefault",
        created_at as "createdAt" from customer_addresses where customer_id = ? order by created_at`),
      sessions: await q(`select created_at as "createdAt", last_used_at as "lastUsedAt", expires_at as "expiresAt", revoked_at as "revokedAt",
        user_agent as "userAgent" from customer_sessions where customer_id = ? order by created_at`),
      carts: cartRows.map((c) => ({ ...c, lines: strip(cartLines.get(c.id)) })),
      orders,
      messages: await q(`select order_id as "orderId", template, channel, recipient, status, created_at as "createdAt", sent_at as "sentAt",
        delivered_at as "deliveredAt" from notifications
        where customer_id = ? or order_id = any(?::uuid[]) or cart_id = any(?::text[]) order by created_at`, [customerId, pgArray(ids), pgArray(cartRows.map((c) => c.id))]),
      supportActions: await q(`select order_id as "orderId", action, actor, reason, outcome, requested_at as "requestedAt", completed_at as "completedAt"
        from support_actions where order_id = any(?::uuid[]) or shipment_id in (select id from shipments where order_id = any(?::uuid[])) order by requested_at`, [pgArray(ids), pgArray(ids)]),
      erasure: (await q(`select requested_by as "requestedBy", requested_at as "requestedAt", status, erased_at as "erasedAt"
        from erasures where customer_id = ?`))[0] ?? null,
    };
  }, { isolationLevel: IsolationLevel.REPEATABLE_READ });
}

function group<T extends Row, K extends keyof T>(rows: T[], key: K): Map<unknown, T[]> {
  const out = new Map<unknown, T[]>();
  for (const row of rows) out.set(row[key], [...(out.get(row[key]) ?? []), row]);
  return out;
}

/** The grouping column is the parent's id: not repeated in each child. */
function strip(rows: Row[] | undefined): Row[] {
  return (rows ?? []).map(({ order_id: _o, cart_id: _c, ...rest }) => rest);
}
