/** What activities are built from (createActivities in activities/index.ts passes it to each group). */
import type { MikroORM } from '@mikro-orm/postgresql';
import type { Logger } from '../src/logger';
import type { PaymentProvider } from '../src/integrations/payments';
import type { Notifier } from '../src/integrations/notifier';
import type { Carrier } from '../src/integrations/carrier';
import type { ImageStorage } from '../src/integrations/image-storage';

export interface ActivityDeps {
  orm: MikroORM;
  logger: Logger;
  payments: PaymentProvider;
  notifier: Notifier;
  carrier: Carrier;
  /** The warehouse orders are allocated to (FULFILLMENT_WAREHOUSE); 'WH-1' by default. */
  warehouse?: string;
  /** Where uploaded product images are stored (IMAGE_STORAGE); without it, the image sweep has nothing to delete. */
  images?: ImageStorage;
  /** Injected so tests can pin time; activities never read the clock another way. */
  clock: () => Date;
}
