/**
 * account-message: e-mails one link about a customer's account (confirm the address, reset the
 * password), started by the API once the link and its outbox row are saved. The id comes from the
 * outbox row (account-message-<outboxId>), and the activity claims the row before sending, so
 * however often the start or the activity is retried the e-mail goes once. The workflow never sees
 * the link: the rendered e-mail is in the row, and only the row's id is in the history.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { AccountMessageInput, AccountMessageResult } from '../src/contracts/account';
import { NOTIFICATION_CALL } from './policies';

/** On the rate-limited notification queue, like every customer message. */
const messages = proxyActivities<Activities>(NOTIFICATION_CALL);

export async function accountMessage(input: AccountMessageInput): Promise<AccountMessageResult> {
  return messages.sendAccountMessage.executeWithOptions(
    { summary: `E-mail "${input.template}" (outbox ${input.outboxId})` }, [{ outboxId: input.outboxId }]);
}
