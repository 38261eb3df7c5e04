/** Whether PostgreSQL answers (the readiness probe, GET /readyz). */
import type { EntityManager } from '@mikro-orm/postgresql';

export async function pingDatabase(em: EntityManager): Promise<void> {
  await em.execute('select 1');
}
