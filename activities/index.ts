/**
 * createActivities(deps): the one place activities get their dependencies. Tests pass a real
 * PostgreSQL and simulated providers; production passes the real SDK adapters.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../src/logger';
import type { PaymentProvider } from '../src/integrations/payments';
import type { Notifier } from '../src/integrations/notifier';
import type { Carrier } from '../src/integrations/carrier';
import { classified } from './errors';
import { fulfillmentActivities } from './fulfillment';
import { inventoryActivities } from './inventory';
import { notificationActivities } from './notifications';
import { orderActivities } from './orders';
import { paymentActivities } from './payments';
import { cartActivities } from './carts';
import { supportActivities } from './support';
import { shippingActivities } from './shipping';

export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
  payments: PaymentProvider;
  notifier: Notifier;
  carrier: Carrier;
  /** The warehouse orders are allocated to (FULFILLMENT_WAREHOUSE); 'WH-1' by default. */
  warehouse?: string;
  /** Injected so tests can pin time; activities never read the clock another way. */
  clock: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return classified({
    ...inventoryActivities(deps),
    ...orderActivities(deps),
    ...paymentActivities(deps),
    ...notificationActivities(deps),
    ...cartActivities(deps),
    ...supportActivities(deps),
    ...fulfillmentActivities(deps),
    ...shippingActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
