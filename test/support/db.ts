/** Each test file gets a database of its own, cloned from the migrated template (fast: a file copy). */
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { closeOrm, createOrm, type MikroORM } from '../../src/db/orm';

export interface TestDatabase {
  url: string;
  orm: MikroORM;
  drop(): Promise<void>;
}

export async function createTestDatabase(): Promise<TestDatabase> {
  const templateUrl = required('TEST_PG_TEMPLATE_URL');
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin(templateUrl, `create database ${name} template shop_template`);
  const url = templateUrl.replace(/\/shop_template$/, `/${name}`);
  const orm = await createOrm(url, 20);
  return {
    url,
    orm,
    drop: async () => {
      await closeOrm(orm, true);
      await admin(templateUrl, `drop database if exists ${name} with (force)`);
    },
  };
}

async function admin(templateUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: templateUrl.replace(/\/shop_template$/, '/postgres') });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\` so the harness starts first.`);
  return value;
}
