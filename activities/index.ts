/**
 * createActivities(deps): the one place activities get their dependencies. Tests pass a real
 * PostgreSQL and simulated providers; production passes the real SDK adapters.
 */
import type { ActivityDeps } from './deps';
import { classified } from './errors';
import { fulfillmentActivities } from './fulfillment';
import { inventoryActivities } from './inventory';
import { notificationActivities } from './notifications';
import { orderActivities } from './orders';
import { paymentActivities } from './payments';
import { cartActivities } from './carts';
import { catalogImageActivities } from './catalog-images';
import { catalogImportActivities } from './catalog-import';
import { supportActivities } from './support';
import { shippingActivities } from './shipping';
import { promotionActivities } from './promotions';
import { privacyActivities } from './privacy';

export function createActivities(deps: ActivityDeps) {
  return classified({
    ...inventoryActivities(deps),
    ...orderActivities(deps),
    ...paymentActivities(deps),
    ...notificationActivities(deps),
    ...cartActivities(deps),
    ...catalogImageActivities(deps),
    ...catalogImportActivities(deps),
    ...supportActivities(deps),
    ...fulfillmentActivities(deps),
    ...shippingActivities(deps),
    ...promotionActivities(deps),
    ...privacyActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps };
