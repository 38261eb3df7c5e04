/**
 * createActivities(deps): the one place activities get their dependencies. Tests pass a real
 * PostgreSQL and simulated providers; production passes the real SDK adapters.
 */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../src/logger';
import type { PaymentProvider } from '../src/integrations/payments';
import type { Notifier } from '../src/integrations/notifier';
import { classified } from './errors';
import { inventoryActivities } from './inventory';
import { notificationActivities } from './notifications';
import { orderActivities } from './orders';
import { paymentActivities } from './payments';

export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
  payments: PaymentProvider;
  notifier: Notifier;
  /** Injected so tests can pin time; activities never read the clock another way. */
  clock: () => Date;
}

export function createActivities(deps: ActivityDeps) {
  return classified({
    ...inventoryActivities(deps),
    ...orderActivities(deps),
    ...paymentActivities(deps),
    ...notificationActivities(deps),
  });
}

export type Activities = ReturnType<typeof createActivities>;
