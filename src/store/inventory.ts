/**
 * Stock, kept by the database: inventory holds what is on the shelf and how much of it orders have
 * reserved; reservations hold each order's share, unique per order + SKU. A reservation is one
 * conditional UPDATE per SKU (`... where on_hand - reserved >= qty`), so concurrent checkouts can
 * never oversell, and a retried step never reserves, releases or commits twice. Every transaction
 * here takes the SKUs' row locks in SKU order, so two orders cannot deadlock.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { auditDone } from './support';

export interface StockLine { sku: string; quantity: number }

/** An inventory row. */
export interface InventoryRow { sku: string; on_hand: number; reserved: number }

const bySku = (a: StockLine, b: StockLine) => a.sku.localeCompare(b.sku);

/** Reserves every line for the order, or none of them (out_of_stock names the first SKU short). */
export async function reserveStockForOrder(em: EntityManager, orderId: string, lines: StockLine[]): Promise<void> {
  await em.transactional(async (tx) => {
    for (const line of [...lines].sort(bySku)) {
      const fresh = await tx.execute<{ id: string }[]>(
        `insert into reservations (order_id, sku, quantity) values (?, ?, ?) on conflict (order_id, sku) do nothing returning id`,
        [orderId, line.sku, line.quantity]);
      if (fresh.length === 0) continue; // reserved by an earlier attempt
      const updated = await tx.execute<{ sku: string }[]>(
        `update inventory set reserved = reserved + ?, updated_at = now() where sku = ? and on_hand - reserved >= ? returning sku`,
        [line.quantity, line.sku, line.quantity]);
      if (updated.length === 0) {
        const [inv] = await tx.execute<{ available: number }[]>('select on_hand - reserved as available from inventory where sku = ?', [line.sku]);
        throw new DomainError(ErrorCode.OutOfStock,
          `Not enough ${line.sku} in stock for order ${orderId}: ${line.quantity} wanted, ${inv?.available ?? 0} available.`,
          { sku: line.sku, requested: line.quantity, available: inv?.available ?? 0 });
      }
    }
  });
}

/** Gives back what the order still holds; answers what was released. */
export async function releaseStockOfOrder(em: EntityManager, orderId: string): Promise<StockLine[]> {
  return em.transactional(async (tx) => {
    const released = await tx.execute<StockLine[]>(
      `update reservations set status = 'released', updated_at = now() where order_id = ? and status = 'reserved' returning sku, quantity`, [orderId]);
    for (const line of released.sort(bySku)) {
      await tx.execute(`update inventory set reserved = reserved - ?, updated_at = now() where sku = ?`, [line.quantity, line.sku]);
    }
    return released;
  });
}

/** The parcel left: what the order reserved leaves on_hand for good; answers what was committed. */
export async function commitStockOfOrder(em: EntityManager, orderId: string): Promise<StockLine[]> {
  return em.transactional(async (tx) => {
    const committed = await tx.execute<StockLine[]>(
      `update reservations set status = 'committed', updated_at = now() where order_id = ? and status = 'reserved' returning sku, quantity`, [orderId]);
    for (const line of committed.sort(bySku)) {
      await tx.execute(`update inventory set on_hand = on_hand - ?, reserved = reserved - ?, updated_at = now() where sku = ?`,
        [line.quantity, line.quantity, line.sku]);
    }
    return committed;
  });
}

export async function inventoryOf(em: EntityManager, sku: string): Promise<InventoryRow | undefined> {
  const [row] = await em.execute<InventoryRow[]>('select sku, on_hand, reserved from inventory where sku = ?', [sku]);
  return row;
}

/**
 * Sets the stock on hand after a count or a delivery, in one conditional statement: never below what
 * orders have reserved, whatever runs concurrently. Audited in the same transaction, refused or
 * not, with the count before and after. `updated` is undefined when refused; both are undefined
 * when there is no such SKU.
 */
export async function setStockOnHand(em: EntityManager, sku: string, onHand: number, by: { id: string; keyId: string; name: string })
  : Promise<{ updated?: InventoryRow; current?: InventoryRow }> {
  return em.transactional(async (tx) => {
    const [before] = await tx.execute<InventoryRow[]>('select sku, on_hand, reserved from inventory where sku = ? for update', [sku]);
    if (!before) return {};
    const [updated] = await tx.execute<InventoryRow[]>(
      `update inventory set on_hand = ?, updated_at = now() where sku = ? and reserved <= ? returning sku, on_hand, reserved`, [onHand, sku, onHand]);
    await auditDone(tx, { by, via: 'api', action: 'set_stock', sku, request: { onHand }, outcome: updated ? 'done' : 'refused',
      detail: updated ? `on hand ${before.on_hand} -> ${onHand} (${before.reserved} reserved)`
        : `refused: orders have reserved ${before.reserved}, on hand stays ${before.on_hand}` });
    return { updated, current: updated ?? before };
  });
}
