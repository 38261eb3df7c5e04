/**
 * Errors of the database that refuse the data itself (SQLSTATE class 22 and 23) are failures for good:
 * classified once (activities/errors.ts), never retried; a customer message whose own data cannot be
 * kept is recorded failed and support is told, once. Real PostgreSQL errors, not made-up ones.
 */
import { ApplicationFailure } from '@temporalio/common';
import { Client } from 'pg';
import { toFailure } from '../../activities/errors';
import { dataRejection } from '../../src/store/errors';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { placeTestOrder, realActivities, seedCheckoutCatalog } from '../support/checkout';
import type { Activities } from '../../activities';

let db: TestDatabase;
let acts: Activities;

beforeAll(async () => {
  db = await createTestDatabase();
  await seedCheckoutCatalog(db, 10);
  acts = realActivities(db);
});
afterAll(async () => {
  await db?.drop();
});

const sql = (text: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute(text, params);
const errorOf = (p: Promise<unknown>) => p.then(() => { throw new Error('the statement succeeded'); }, (err: unknown) => err);

describe('a database error that refuses the data is a failure for good', () => {
  it.each([
    // MikroORM writes values into the statement, whose text ends at a NUL: the server sees a malformed message.
    ['a NUL in text (08P01)', 'select ?::text', ['changed\u0000mind'], '08P01'],
    ['a NUL in JSON (22P05)', 'select ?::jsonb', [JSON.stringify({ reason: 'changed\u0000mind' })], '22P05'],
    ['a lone surrogate in JSON (22P02)', 'select ?::jsonb', [JSON.stringify({ reason: 'x\ud800' })], '22P02'],
    ['a division by zero (22012)', 'select 1 / (? - 1)', [1], '22012'],
    ['a check constraint (23514)', `update inventory set reserved = -1 where sku = ?`, ['MUG-1'], '23514'],
    ['a foreign key (23503)', `insert into order_lines (order_id, sku, title, quantity, unit_price_amount, line_total_amount)
      values (gen_random_uuid(), 'MUG-1', 'x', 1, 1, 1)`, [], '23503'],
  ])('%s: data_rejected, non-retryable, with the SQLSTATE in its details', async (_name, text, params, sqlState) => {
    const failure = toFailure(await errorOf(sql(text, params))) as ApplicationFailure;
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'data_rejected', nonRetryable: true, details: [expect.objectContaining({ sqlState })] });
    expect(failure.message).toMatch(new RegExp(`refused the data for good \\(SQLSTATE ${sqlState}: `));
    expect(failure.message).not.toMatch(/\u0000/);
  });

  it('the same from the storefront\'s own pool (pg), and anything that may pass on a retry is left to the retry policy', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      expect(dataRejection(await errorOf(client.query('select $1::text', ['a\u0000b'])))).toMatchObject({ sqlState: '22021', kind: 'data_exception' });
      const timeout = await errorOf(client.query(`set statement_timeout = '10ms'; select pg_sleep(1)`));
      expect(dataRejection(timeout)).toBeUndefined(); // 57014, query canceled: a retry may pass
      expect(toFailure(timeout)).toBe(timeout);
    } finally {
      await client.end();
    }
    const lost = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    expect(toFailure(lost)).toBe(lost);
  });
});

describe('a customer message whose data cannot be kept', () => {
  it('is recorded failed without it, raises one support notice, and answers refused however often it runs', async () => {
    const order = await placeTestOrder(db);
    const send = () => acts.sendOrderNotification({ orderId: order.orderId, template: 'order_cancelled', channel: 'email', reason: 'changed\u0000mind' });
    for (let i = 0; i < 3; i++) expect(await send()).toEqual({ status: 'refused', reason: expect.stringMatching(/SQLSTATE 22P05/) });
    expect(await sql('select template, status, attempts, payload, last_error from notifications where order_id = ?', [order.orderId])).toEqual([
      { template: 'order_cancelled', status: 'failed', attempts: 0, payload: {}, last_error: expect.stringMatching(/could not be kept in the outbox/) }]);
    expect(await sql('select kind, subject, resolved_at from support_notices where order_id = ?', [order.orderId])).toEqual([
      { kind: 'message_failed', subject: 'order_cancelled/email/1', resolved_at: null }]);
    // Support resends it once the cause is gone (a reason given with the resend): it goes, once.
    const resent = await acts.sendOrderNotification({ orderId: order.orderId, template: 'order_cancelled', channel: 'email', reason: 'changed my mind' });
    expect(resent.status).toBe('sent');
  });

  it('a rollback step that failed for good is reported once per order and step, however often the report runs', async () => {
    const order = await placeTestOrder(db);
    for (let i = 0; i < 2; i++) await acts.noticeRollbackStepFailed({ orderId: order.orderId, step: 'void_or_refund_payment', error: 'Stripe said\u0000no' });
    const notices = await sql('select kind, subject, message from support_notices where order_id = ?', [order.orderId]);
    expect(notices).toEqual([{ kind: 'compensation_failed', subject: 'void_or_refund_payment',
      message: expect.stringMatching(/payment of order .* was not voided or refunded.*Stripe said\uFFFDno.*void or refund it there/) }]);
  });
});
