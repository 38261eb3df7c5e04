/**
 * Fulfillment steps: allocate to a warehouse, record packing, buy the label, commit the reservation
 * (the stock leaves the shelf) and mark the order shipped. Each is idempotent by the order id: a
 * status transition in one UPDATE, or a unique key, so a retry changes nothing. The capture of the
 * payment at dispatch is a money movement: it is capturePayment in activities/payments.ts.
 */
import type { ActivityDeps } from './deps';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { commitStockOfOrder } from '../src/store/inventory';
import { allocateOrder, recordFulfillmentCancelled, recordFulfillmentShipped, recordLabelled, recordPacked } from '../src/store/fulfillments';
import { markOrderShipped, orderById } from '../src/store/orders';
import { recordLabel, voidLabelOfOrder } from '../src/store/shipments';

export interface Shipped {
  shipmentId: string;
  trackingNumber: string;
  carrier: string;
  labelUrl: string;
}

export function fulfillmentActivities({ orm, carrier, warehouse = 'WH-1' }: ActivityDeps) {
  const em = () => orm.em.fork();
  return {
    allocateToWarehouse: (orderId: string): Promise<{ warehouse: string }> => allocateOrder(em(), orderId, warehouse),

    recordPacked: (orderId: string, packedBy: string): Promise<void> => recordPacked(em(), orderId, packedBy),

    /**
     * One label per order, for as many packages as the warehouse packed: the carrier call is
     * idempotent per order, and so is the shipments row.
     */
    async buyShippingLabel(orderId: string, packages = 1): Promise<Shipped> {
      const order = await orderById(em(), orderId);
      if (!order) throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { orderId });
      const label = await carrier.buyLabel({ orderId, address: order.shipping_address, packages });
      const shipment = await recordLabel(em(), orderId, label);
      await recordLabelled(em(), orderId);
      return { shipmentId: shipment.id, trackingNumber: shipment.tracking_number, carrier: shipment.carrier, labelUrl: shipment.label_url };
    },

    /** Undo of buyShippingLabel, for an order that will not ship after all. */
    async voidShippingLabel(orderId: string): Promise<{ voided: boolean }> {
      const trackingNumber = await voidLabelOfOrder(em(), orderId);
      if (trackingNumber === undefined) return { voided: false };
      await carrier.voidLabel(trackingNumber);
      await recordFulfillmentCancelled(em(), orderId);
      return { voided: true };
    },

    /** The parcel leaves: reserved stock leaves on_hand for good. Safe to run twice. */
    async commitStock(orderId: string): Promise<{ committed: { sku: string; quantity: number }[] }> {
      return { committed: await commitStockOfOrder(em(), orderId) };
    },

    async recordShipped(orderId: string): Promise<void> {
      await recordFulfillmentShipped(em(), orderId);
      await markOrderShipped(em(), orderId);
    },
  };
}
