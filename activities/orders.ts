/** The order row: its status as the saga moves, its shipping address, and the cart it came from. */
import type { ActivityDeps } from './deps';
import type { OrderStatus, ShippingAddress } from '../src/domain/order';
import { DomainError, ErrorCode } from '../src/domain/errors';

export function orderActivities({ orm }: ActivityDeps) {
  const conn = () => orm.em.fork().getConnection();
  return {
    async setOrderStatus(orderId: string, status: OrderStatus): Promise<void> {
      const rows = await conn().execute<{ id: string }[]>(
        `update orders set status = ?, updated_at = now() where id = ? returning id`, [status, orderId]);
      if (rows.length === 0) throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { orderId });
    },

    async updateShippingAddress(orderId: string, address: ShippingAddress): Promise<void> {
      await conn().execute(`update orders set shipping_address = ?, updated_at = now() where id = ?`, [JSON.stringify(address), orderId]);
    },

    /** After a failed or cancelled order, the shopper's cart opens again so they can try another card. */
    async reopenCart(orderId: string): Promise<{ reopened: boolean }> {
      const rows = await conn().execute<{ id: string }[]>(
        `update carts set status = 'active', updated_at = now()
          where id = (select cart_id from orders where id = ?) and status = 'checked_out' returning id`, [orderId]);
      return { reopened: rows.length > 0 };
    },
  };
}
