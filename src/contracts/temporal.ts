/**
 * What every Temporal client and worker of the project agrees on: the task queues, the workflow
 * ids derived from business keys (so a second start is a no-op, never a second order), and the
 * search attributes ops filter on. Search attributes are not encrypted by a payload codec, so they
 * hold ids, statuses and amounts only: never an e-mail, phone, name or address.
 *
 * src/contracts/ is the one place the API, the CLI, the workers and the workflows meet; it
 * imports nothing from any of them (a dependency-cruiser rule keeps it so).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const TASK_QUEUE = 'commerce';

/**
 * Customer messages run on a task queue of their own, polled by a rate-limited worker
 * (workers/notifications.ts), so a burst of orders never exceeds the SMS and e-mail providers'
 * limits. The queue is named after the workflow's own (`commerce` → `commerce-notifications`).
 */
export const notificationTaskQueue = (workflowTaskQueue: string): string => `${workflowTaskQueue}-notifications`;

/** The cart-expiry-sweep schedule's id, and the prefix of every run's workflow id. */
export const CART_SWEEP_ID = 'cart-expiry-sweep';
/** The catalog image sweep's schedule, and the id of the workflow it starts (one at a time). */
export const IMAGE_SWEEP_ID = 'catalog-image-sweep';
/** The retention schedule (webhook payloads, delivery reports), and the id of the workflow it starts. */
export const RETENTION_SWEEP_ID = 'privacy-retention';

export const workflowIds = {
  checkout: (orderId: string) => `checkout-${orderId}`,
  payment: (orderId: string) => `payment-${orderId}`,
  fulfillment: (orderId: string) => `fulfillment-${orderId}`,
  shipment: (shipmentId: string) => `shipment-${shipmentId}`,
  /** An e-mail about a customer's account (a verification or password-reset link), named after its outbox row. */
  accountMessage: (outboxId: string) => `account-message-${outboxId}`,
  /** A bulk catalog import, named after its row in catalog_imports (whose id comes from the upload's Idempotency-Key). */
  catalogImport: (importId: string) => `catalog-import-${importId}`,
  /** A customer's erasure (GDPR): one per customer, so a second request finds the first. */
  erasure: (customerId: string) => `gdpr-erasure-${customerId}`,
};

export const OrderIdAttr = defineSearchAttributeKey('OrderId', SearchAttributeType.KEYWORD);
export const CustomerIdAttr = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
export const OrderStatusAttr = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const OrderTotalAttr = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);
export const ShipmentStatusAttr = defineSearchAttributeKey('ShipmentStatus', SearchAttributeType.KEYWORD);

export const SEARCH_ATTRIBUTES = [OrderIdAttr, CustomerIdAttr, OrderStatusAttr, OrderTotalAttr, ShipmentStatusAttr];
