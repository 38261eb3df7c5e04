/** The order row: its status as the saga moves, its shipping address, and the cart it came from. */
import type { ActivityDeps } from './deps';
import type { OrderStatus, ShippingAddress } from '../src/domain/order';
import { DomainError, ErrorCode } from '../src/domain/errors';
import { setOrderStatus, setShippingAddress } from '../src/store/orders';
import { reopenCartOfOrder } from '../src/store/carts';

export function orderActivities({ orm }: ActivityDeps) {
  return {
    async setOrderStatus(orderId: string, status: OrderStatus): Promise<void> {
      if (!(await setOrderStatus(orm.em.fork(), orderId, status))) {
        throw new DomainError(ErrorCode.OrderNotFound, `Order ${orderId} does not exist.`, { orderId });
      }
    },

    async updateShippingAddress(orderId: string, address: ShippingAddress): Promise<void> {
      await setShippingAddress(orm.em.fork(), orderId, address);
    },

    /** After a failed or cancelled order, the shopper's cart opens again so they can try another card. */
    async reopenCart(orderId: string): Promise<{ reopened: boolean }> {
      return { reopened: await reopenCartOfOrder(orm.em.fork(), orderId) };
    },
  };
}
