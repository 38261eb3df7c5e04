/** The account-message workflow on the time-skipping server, with the real activities on PostgreSQL. */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { createTimeSkippingEnv } from '../support/temporal';
import { RECORDING, saveHistory } from '../replay/record';
import { realActivities, startWorker } from '../support/checkout';
import { FAST_ACCOUNTS, readableHistory, RecordingNotifier } from '../support/accounts';
import { NotifierError, type OutgoingMessage } from '../../src/integrations/notifier';
import { newLink } from '../../src/accounts/links';
import { createCustomer, issueAccountLink } from '../../src/store/customers';
import { workflowIds } from '../../src/contracts/temporal';
import { accountMessage } from '../../workflows/account-message';

let env: TestWorkflowEnvironment;
let db: TestDatabase;
const query = <T = Record<string, unknown>>(sql: string, params: unknown[] = []) => db.orm.em.fork().getConnection().execute<T[]>(sql, params);

beforeAll(async () => {
  [env, db] = await Promise.all([createTimeSkippingEnv(), createTestDatabase()]);
});
afterAll(async () => {
  await env?.teardown();
  await db?.drop();
});

let n = 0;
/** A customer and a password-reset link for them, its e-mail waiting in the outbox, as the API leaves it. */
async function linkInOutbox(): Promise<{ outboxId: string; email: string }> {
  n += 1;
  const email = `reader-${n}-${Date.now()}@example.com`;
  const customerId = await createCustomer(db.orm.em.fork(), { email, name: 'Ada', passwordHash: 'x' });
  const { outboxId } = await issueAccountLink(db.orm.em.fork(), customerId, { ...newLink('password_reset', FAST_ACCOUNTS, 'Ada'), email });
  return { outboxId, email };
}

async function send(outboxId: string, notifier: { send(m: OutgoingMessage): Promise<{ provider: string; messageId: string }> }, workflowId = workflowIds.accountMessage(outboxId)) {
  const { worker, taskQueue, run } = await startWorker(env, realActivities(db, { notifier }));
  try {
    const handle = await env.client.workflow.start(accountMessage, { taskQueue, workflowId, args: [{ outboxId, template: 'password_reset' }] });
    return { result: await handle.result(), history: await handle.fetchHistory() };
  } finally {
    worker.shutdown();
    await run;
  }
}

it('e-mails the outbox row\'s message on the notification queue, once, and the history holds the row\'s id, never the link', async () => {
  const notifier = new RecordingNotifier();
  const { outboxId, email } = await linkInOutbox();
  const first = await send(outboxId, notifier);
  expect(first.result).toEqual({ status: 'sent', messageId: `rec-${outboxId}` });
  const token = await notifier.linkToken(email, /Reset your password/);
  const history = await readableHistory(first.history);
  expect(history).toContain(outboxId);
  expect(history).not.toContain(token);
  expect(history).toContain('-notifications');
  if (RECORDING) saveHistory('account-message', first.history);
  // A second run for the same row (another workflow id, as a manual restart would be) finds it sent and sends nothing.
  const second = await send(outboxId, notifier, `${workflowIds.accountMessage(outboxId)}-again`);
  expect(second.result).toEqual({ status: 'already_sent', messageId: `rec-${outboxId}` });
  expect(notifier.to(email)).toHaveLength(1);
  expect(await query('select status, payload from notifications where id = ?', [outboxId]))
    .toEqual([{ status: 'sent', payload: { subject: 'Reset your password', redacted: true } }]);
});

it('an address the provider refuses for good is answered refused, the row failed with the reason and the link kept for a resend', async () => {
  const { outboxId } = await linkInOutbox();
  const refusing = { send: async () => { throw new NotifierError('550 mailbox does not exist', false); } };
  const { result, history } = await send(outboxId, refusing);
  expect(result).toEqual({ status: 'refused', reason: '550 mailbox does not exist' });
  if (RECORDING) saveHistory('account-message', history);
  const [row] = await query<{ status: string; last_error: string; payload: { text?: string } }>('select status, last_error, payload from notifications where id = ?', [outboxId]);
  expect([row.status, row.last_error]).toEqual(['failed', '550 mailbox does not exist']);
  expect(row.payload.text).toContain('#token=');
});
