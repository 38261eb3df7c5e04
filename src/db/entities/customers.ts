import { defineEntity, type InferEntity } from '@mikro-orm/core';

export const Customer = defineEntity({
  name: 'Customer',
  tableName: 'customers',
  properties: (p) => ({
    id: p.uuid().primary().defaultRaw('gen_random_uuid()'),
    email: p.text(),
    passwordHash: p.text().hidden(),
    name: p.text().default(''),
    marketingOptIn: p.boolean().default(false),
    createdAt: p.datetime().defaultRaw('now()'),
  }),
});
export type Customer = InferEntity<typeof Customer>;
