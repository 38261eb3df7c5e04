import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { route } from '../http';
import { sku } from '../schemas';
import { emOf } from '../context';
import { staffOf } from '../access';
import { inventoryOf, setStockOnHand, type InventoryRow } from '../../store/inventory';

const inventoryView = z.object({ sku, onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() }).meta({ id: 'Inventory' });
const view = (r: InventoryRow) => ({ sku: r.sku, onHand: r.on_hand, reserved: r.reserved, available: r.on_hand - r.reserved });

/**
 * Staff routes for stock on the shelf. Reservations are owned by orders and never set by hand. The
 * warehouse sets what is on hand (each change audited with who, before and after); support and
 * catalog read it.
 */
export function adminInventoryRoutes() {
  return [
    route({
      method: 'get', path: '/admin/inventory/:sku', tag: 'admin', access: { staff: ['warehouse', 'catalog', 'support'] },
      summary: 'Stock of one SKU: on hand, reserved by orders, available',
      params: z.strictObject({ sku }),
      responses: { 200: { description: 'Stock levels', schema: inventoryView }, 404: { description: 'No stock is kept for this SKU (not_found)' } },
      handler: async (ctx, { params }) => {
        const row = await inventoryOf(emOf(ctx), params.sku);
        if (!row) throw noInventory(params.sku);
        ctx.body = view(row);
      },
    }),
    route({
      method: 'put', path: '/admin/inventory/:sku', tag: 'admin', access: { staff: ['warehouse'] },
      summary: 'Set the stock on hand after a count or a delivery (never below what orders have reserved)',
      params: z.strictObject({ sku }),
      body: z.strictObject({ onHand: z.number().int().min(0).max(10_000_000) }),
      responses: { 200: { description: 'New stock levels', schema: inventoryView }, 404: { description: 'No stock is kept for this SKU (not_found)' },
        409: { description: 'Orders have reserved more than that (inventory_conflict); nothing changed' } },
      handler: async (ctx, { params, body }) => {
        // The database refuses to drop below the reserved count, whatever runs concurrently; refused or not, the attempt is audited.
        const { updated, current } = await setStockOnHand(emOf(ctx), params.sku, body.onHand, staffOf(ctx));
        if (updated) {
          ctx.body = view(updated);
          return;
        }
        if (!current) throw noInventory(params.sku);
        throw new DomainError(ErrorCode.InventoryConflict,
          `Orders have reserved ${current.reserved} of ${params.sku}; on hand cannot go below that.`, { ...view(current), requested: body.onHand });
      },
    }),
  ];
}

const noInventory = (sku: string) => new DomainError(ErrorCode.NotFound, `No inventory is kept for ${sku}.`, { sku });
