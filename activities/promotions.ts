/**
 * The checkout's redemption of the promotions an order was priced with, and its undo. The database
 * does the counting (src/store/promotions.ts): uses never pass a limit however many checkouts race,
 * and both steps are keyed by the order, so a retry counts or gives back nothing twice.
 */
import type { ActivityDeps } from './deps';
import { giveBackOrderPromotions, redeemOrderPromotions } from '../src/store/promotions';

export function promotionActivities({ orm, logger }: ActivityDeps) {
  return {
    /** One use of each of the order's promotions, all or none: promotion_limit_reached (non-retryable) when one has none left. */
    async redeemPromotions(orderId: string): Promise<{ redeemed: string[] }> {
      return redeemOrderPromotions(orm.em.fork(), orderId);
    },

    /** Undo of redeemPromotions: gives back the uses this order counted. Safe to run twice, or before redeemPromotions ran. */
    async giveBackPromotions(orderId: string): Promise<{ givenBack: number }> {
      const result = await giveBackOrderPromotions(orm.em.fork(), orderId);
      if (result.givenBack > 0) logger.info({ orderId, givenBack: result.givenBack }, 'promotion uses given back: the order was rolled back');
      return result;
    },
  };
}
