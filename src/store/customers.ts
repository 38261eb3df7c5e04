/** Customers: who a cart or an order belongs to when the shopper is known (accounts come later; today only tests and demos create them). */
import type { EntityManager } from '@mikro-orm/postgresql';

export async function createCustomer(em: EntityManager, c: { email: string; name: string; passwordHash: string; marketingOptIn?: boolean }): Promise<string> {
  const [row] = await em.execute<{ id: string }[]>(
    'insert into customers (email, password_hash, name, marketing_opt_in) values (?, ?, ?, ?) returning id',
    [c.email, c.passwordHash, c.name, c.marketingOptIn ?? false]);
  return row.id;
}
