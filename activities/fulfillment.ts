/**
 * Fulfillment steps: allocate to a warehouse, record packing, buy the label, capture the payment at
 * shipping time, and commit the reservation (the stock leaves the shelf). Each is idempotent by
 * the order id: a status transition in one UPDATE, or a unique key, so a retry changes nothing.
 */
import type { ActivityDeps } from './deps';
import { paymentKeys } from './payments';
import { DomainError, ErrorCode } from '../src/domain/errors';
import type { ShippingAddress } from '../src/domain/order';
import { PaymentProviderError } from '../src/integrations/payments';

interface PaymentRow { id: string; status: string; provider_ref: string | null; amount: string; captured_amount: string }

export interface Shipped {
  shipmentId: string;
  trackingNumber: string;
  carrier: string;
  labelUrl: string;
}

export function fulfillmentActivities({ orm, payments, carrier, warehouse = 'WH-1' }: ActivityDeps) {
  const conn = () => orm.em.fork().getConnection();
  return {
    async allocateToWarehouse(orderId: string): Promise<{ warehouse: string }> {
      await conn().execute(`insert into fulfillments (order_id, warehouse, status) values (?, ?, 'allocated') on conflict (order_id) do nothing`,
        [orderId, warehouse]);
      const [row] = await conn().execute<{ warehouse: string }[]>('select warehouse from fulfillments where order_id = ?', [orderId]);
      return { warehouse: row.warehouse };
    },

    async recordPacked(orderId: string, packedBy: string): Promise<void> {
      await conn().execute(`update fulfillments set status = 'packed', packed_by = ?, packed_at = now() where order_id = ? and status = 'allocated'`,
        [packedBy, orderId]);
    },

    /**
     * One label per order, for as many packages as the warehouse packed: the carrier call is
     * idempotent per order, and so is the shipments row.
     */
    async buyShippingLabel(orderId: string, packages = 1): Promise<Shipped> {
      const [order] = await conn().execute<{ shipping_address: ShippingAddress }[]>('select shipping_address from orders where id = ?', [orderId]);
      if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { orderId });
      const label = await carrier.buyLabel({ orderId, address: order.shipping_address, packages });
      await conn().execute(
        `insert into shipments (order_id, carrier, tracking_number, status, label_url) values (?, ?, ?, 'label_created', ?)
         on conflict (order_id) do nothing`, [orderId, label.carrier, label.trackingNumber, label.labelUrl]);
      await conn().execute(`update fulfillments set status = 'labelled' where order_id = ? and status = 'packed'`, [orderId]);
      const [shipment] = await conn().execute<{ id: string; tracking_number: string; carrier: string; label_url: string }[]>(
        'select id, tracking_number, carrier, label_url from shipments where order_id = ?', [orderId]);
      return { shipmentId: shipment.id, trackingNumber: shipment.tracking_number, carrier: shipment.carrier, labelUrl: shipment.label_url };
    },

    /** Undo of buyShippingLabel, for an order that will not ship after all. */
    async voidShippingLabel(orderId: string): Promise<{ voided: boolean }> {
      const rows = await conn().execute<{ tracking_number: string }[]>(
        `update shipments set status = 'voided', updated_at = now() where order_id = ? and status = 'label_created' returning tracking_number`, [orderId]);
      if (rows.length === 0) return { voided: false };
      await carrier.voidLabel(rows[0].tracking_number);
      await conn().execute(`update fulfillments set status = 'cancelled' where order_id = ?`, [orderId]);
      return { voided: true };
    },

    /** Takes the authorized amount at shipping time, under the order's capture idempotency key. */
    async capturePayment(orderId: string): Promise<{ capturedAmount: number }> {
      const [payment] = await conn().execute<PaymentRow[]>('select * from payments where idempotency_key = ?', [paymentKeys.authorize(orderId)]);
      if (payment?.status === 'captured') return { capturedAmount: Number(payment.captured_amount) };
      if (!payment || payment.status !== 'authorized' || !payment.provider_ref) {
        throw new PaymentProviderError(`Order ${orderId} has no authorized payment to capture (payment is ${payment?.status ?? 'missing'}).`,
          'payment_not_capturable', false);
      }
      const { capturedAmount } = await payments.capture({ idempotencyKey: paymentKeys.capture(orderId), providerRef: payment.provider_ref, amount: Number(payment.amount) });
      await conn().execute(`update payments set status = 'captured', captured_amount = ?, updated_at = now() where id = ? and status = 'authorized'`,
        [capturedAmount, payment.id]);
      return { capturedAmount };
    },

    /** The parcel leaves: reserved stock leaves on_hand for good. Safe to run twice. */
    async commitStock(orderId: string): Promise<{ committed: { sku: string; quantity: number }[] }> {
      return orm.em.fork().transactional(async (tx) => {
        const c = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const committed = await c.execute<{ sku: string; quantity: number }[]>(
          `update reservations set status = 'committed', updated_at = now() where order_id = ? and status = 'reserved' returning sku, quantity`,
          [orderId], 'all', ctx);
        for (const line of committed.sort((a, b) => a.sku.localeCompare(b.sku))) {
          await c.execute(`update inventory set on_hand = on_hand - ?, reserved = reserved - ?, updated_at = now() where sku = ?`,
            [line.quantity, line.quantity, line.sku], 'run', ctx);
        }
        return { committed };
      });
    },

    async recordShipped(orderId: string): Promise<void> {
      await conn().execute(`update fulfillments set status = 'shipped', shipped_at = coalesce(shipped_at, now()) where order_id = ?`, [orderId]);
      await conn().execute(`update orders set status = 'shipped', updated_at = now() where id = ? and status not in ('cancelled', 'failed')`, [orderId]);
    },
  };
}
