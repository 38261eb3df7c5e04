/**
 * Stock reservation for an order, and its undo. The database does the counting
 * (src/store/inventory.ts): concurrent checkouts can never oversell, and a retried activity never
 * reserves or releases twice. Committing the reservation when the parcel leaves is a fulfillment
 * step (commitStock, activities/fulfillment.ts).
 */
import type { ActivityDeps } from './deps';
import { releaseStockOfOrder, reserveStockForOrder, type StockLine } from '../src/store/inventory';

export type { StockLine };

export function inventoryActivities({ orm }: ActivityDeps) {
  return {
    /** All the order's lines, or none: out_of_stock (non-retryable) names the first SKU short. */
    async reserveStock(orderId: string, lines: StockLine[]): Promise<{ reserved: StockLine[] }> {
      await reserveStockForOrder(orm.em.fork(), orderId, lines);
      return { reserved: lines };
    },

    /** Undo of reserveStock: gives back what this order still holds. Safe to run twice, or before reserveStock ran. */
    async releaseStock(orderId: string): Promise<{ released: StockLine[] }> {
      return { released: await releaseStockOfOrder(orm.em.fork(), orderId) };
    },
  };
}
