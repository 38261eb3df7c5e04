import { z } from 'zod';
import type { Middleware } from 'koa';
import { DomainError, ErrorCode } from '../../domain/errors';
import { route } from '../http';
import { sku } from '../schemas';
import { emOf } from '../context';

const inventoryView = z.object({ sku, onHand: z.number().int(), reserved: z.number().int(), available: z.number().int() }).meta({ id: 'Inventory' });

interface InventoryRow { sku: string; on_hand: number; reserved: number }
const view = (r: InventoryRow) => ({ sku: r.sku, onHand: r.on_hand, reserved: r.reserved, available: r.on_hand - r.reserved });

/** Staff routes for stock on the shelf. Reservations are owned by orders and never set by hand. */
export function adminInventoryRoutes(staffOnly: Middleware) {
  return [
    route({
      method: 'get', path: '/admin/inventory/:sku', tag: 'admin', access: 'staff', before: [staffOnly],
      summary: 'Stock of one SKU: on hand, reserved by orders, available',
      params: z.strictObject({ sku }),
      responses: { 200: { description: 'Stock levels', schema: inventoryView } },
      handler: async (ctx, { params }) => {
        const [row] = await emOf(ctx).getConnection().execute<InventoryRow[]>('select sku, on_hand, reserved from inventory where sku = ?', [params.sku]);
        if (!row) throw new DomainError(ErrorCode.NotFound, `No inventory is kept for ${params.sku}.`, { sku: params.sku });
        ctx.body = view(row);
      },
    }),
    route({
      method: 'put', path: '/admin/inventory/:sku', tag: 'admin', access: 'staff', before: [staffOnly],
      summary: 'Set the stock on hand after a count or a delivery (never below what orders have reserved)',
      params: z.strictObject({ sku }),
      body: z.strictObject({ onHand: z.number().int().min(0).max(10_000_000) }),
      responses: { 200: { description: 'New stock levels', schema: inventoryView } },
      handler: async (ctx, { params, body }) => {
        const conn = emOf(ctx).getConnection();
        // One conditional statement: the database refuses to drop below the reserved count, whatever runs concurrently.
        const rows = await conn.execute<InventoryRow[]>(
          `update inventory set on_hand = ?, updated_at = now() where sku = ? and reserved <= ? returning sku, on_hand, reserved`,
          [body.onHand, params.sku, body.onHand]);
        if (rows.length === 1) {
          ctx.body = view(rows[0]);
          return;
        }
        const [current] = await conn.execute<InventoryRow[]>('select sku, on_hand, reserved from inventory where sku = ?', [params.sku]);
        if (!current) throw new DomainError(ErrorCode.NotFound, `No inventory is kept for ${params.sku}.`, { sku: params.sku });
        throw new DomainError(ErrorCode.InventoryConflict,
          `Orders have reserved ${current.reserved} of ${params.sku}; on hand cannot go below that.`, { ...view(current), requested: body.onHand });
      },
    }),
  ];
}
