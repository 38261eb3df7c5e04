/**
 * Stock reservation, done by the database: one conditional UPDATE per SKU
 * (`... where on_hand - reserved >= qty`), so concurrent checkouts can never oversell, and a
 * reservation row unique per order + SKU, so a retried activity never reserves twice.
 */
import type { ActivityDeps } from './deps';
import { DomainError, ErrorCode } from '../src/domain/errors';

export interface StockLine { sku: string; quantity: number }

export function inventoryActivities({ orm }: ActivityDeps) {
  return {
    async reserveStock(orderId: string, lines: StockLine[]): Promise<{ reserved: StockLine[] }> {
      const em = orm.em.fork();
      return em.transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        // Sorted by SKU: every transaction locks rows in the same order, so two checkouts cannot deadlock.
        for (const line of [...lines].sort((a, b) => a.sku.localeCompare(b.sku))) {
          const fresh = await conn.execute<{ id: string }[]>(
            `insert into reservations (order_id, sku, quantity) values (?, ?, ?) on conflict (order_id, sku) do nothing returning id`,
            [orderId, line.sku, line.quantity], 'all', ctx);
          if (fresh.length === 0) continue; // reserved by an earlier attempt of this activity
          const updated = await conn.execute<{ sku: string }[]>(
            `update inventory set reserved = reserved + ?, updated_at = now()
              where sku = ? and on_hand - reserved >= ? returning sku`,
            [line.quantity, line.sku, line.quantity], 'all', ctx);
          if (updated.length === 0) {
            const [inv] = await conn.execute<{ available: number }[]>(
              'select on_hand - reserved as available from inventory where sku = ?', [line.sku], 'all', ctx);
            throw new DomainError(ErrorCode.OutOfStock,
              `Not enough ${line.sku} in stock for order ${orderId}: ${line.quantity} wanted, ${inv?.available ?? 0} available.`,
              { sku: line.sku, requested: line.quantity, available: inv?.available ?? 0 });
          }
        }
        return { reserved: lines };
      });
    },

    /** Undo of reserveStock: gives back what this order still holds. Safe to run twice, or before reserveStock ran. */
    async releaseStock(orderId: string): Promise<{ released: StockLine[] }> {
      const em = orm.em.fork();
      return em.transactional(async (tx) => {
        const conn = tx.getConnection();
        const ctx = tx.getTransactionContext();
        const released = await conn.execute<StockLine[]>(
          `update reservations set status = 'released', updated_at = now()
            where order_id = ? and status = 'reserved' returning sku, quantity`, [orderId], 'all', ctx);
        for (const line of released.sort((a, b) => a.sku.localeCompare(b.sku))) {
          await conn.execute(`update inventory set reserved = reserved - ?, updated_at = now() where sku = ?`,
            [line.quantity, line.sku], 'run', ctx);
        }
        return { released };
      });
    },
  };
}
