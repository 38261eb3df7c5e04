/**
 * The fulfillments table: one row per order once it is allocated to a warehouse, moving
 * allocated → packed → labelled → shipped (or cancelled). Each change is one conditional UPDATE
 * or a unique key, so a retried step changes nothing.
 */
import type { EntityManager } from '@mikro-orm/postgresql';

export type FulfillmentStatus = 'allocated' | 'packed' | 'labelled' | 'shipped' | 'cancelled';

/** Allocates the order to a warehouse, once; answers the warehouse it is allocated to (the first one, on a retry). */
export async function allocateOrder(em: EntityManager, orderId: string, warehouse: string): Promise<{ warehouse: string }> {
  await em.execute(`insert into fulfillments (order_id, warehouse, status) values (?, ?, 'allocated') on conflict (order_id) do nothing`,
    [orderId, warehouse]);
  const [row] = await em.execute<{ warehouse: string }[]>('select warehouse from fulfillments where order_id = ?', [orderId]);
  return row;
}

export async function recordPacked(em: EntityManager, orderId: string, packedBy: string): Promise<void> {
  await em.execute(`update fulfillments set status = 'packed', packed_by = ?, packed_at = now() where order_id = ? and status = 'allocated'`,
    [packedBy, orderId]);
}

export async function recordLabelled(em: EntityManager, orderId: string): Promise<void> {
  await em.execute(`update fulfillments set status = 'labelled' where order_id = ? and status = 'packed'`, [orderId]);
}

export async function recordFulfillmentCancelled(em: EntityManager, orderId: string): Promise<void> {
  await em.execute(`update fulfillments set status = 'cancelled' where order_id = ?`, [orderId]);
}

export async function recordFulfillmentShipped(em: EntityManager, orderId: string): Promise<void> {
  await em.execute(`update fulfillments set status = 'shipped', shipped_at = coalesce(shipped_at, now()) where order_id = ?`, [orderId]);
}
