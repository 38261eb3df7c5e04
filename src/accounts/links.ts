/**
 * One-time links e-mailed to a customer: made here (a random token, only its SHA-256 stored), written
 * with their rendered e-mail to the outbox by the store in the same transaction as what they are for,
 * then sent by the account-message workflow, named after the outbox row, on the rate-limited
 * notification queue. The API never calls an e-mail provider, and the token is never in a workflow's
 * history or a log: it lives in the outbox row until the e-mail has gone.
 */
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { Client } from '@temporalio/client';
import { newToken, sha256Hex } from '../auth/tokens';
import type { AccountMessageWorkflow } from '../contracts/account';
import { CustomerIdAttr, workflowIds } from '../contracts/temporal';
import { describeDuration, renderAccountMessage, type AccountTemplate } from '../domain/templates';
import type { Logger } from '../logger';
import type { NewLink } from '../store/customer-links';
import type { AccountSettings } from './settings';

/** The storefront pages the links open. The token travels in the fragment (#token=…), which browsers never send to any server or log. */
const PAGES: Record<AccountTemplate, string> = { verify_email: 'account/verify-email', password_reset: 'account/reset-password' };

/** A new link for this customer: its token's hash, how long it works and its e-mail, rendered. */
export function newLink(purpose: AccountTemplate, settings: AccountSettings, customerName: string): Omit<NewLink, 'email'> {
  const token = newToken();
  const ttlMs = purpose === 'verify_email' ? settings.verifyLinkTtlMs : settings.resetLinkTtlMs;
  const link = `${settings.storefrontUrl}/${PAGES[purpose]}#token=${token}`;
  const message = renderAccountMessage(purpose, { customerName, link, validFor: describeDuration(ttlMs) });
  return { purpose, tokenHash: sha256Hex(token), ttlMs, message };
}

export interface MessageStarter { client?: Client; taskQueue: string; log: Logger }

/**
 * Starts the workflow that sends the outbox row's e-mail; true once it is running (or ran: a second
 * start is refused by its id and changes nothing). False when Temporal could not be reached: the
 * row stays pending, and the customer can ask for the e-mail again.
 */
export async function startAccountMessage(s: MessageStarter, m: { outboxId: string; template: AccountTemplate; customerId: string }): Promise<boolean> {
  if (!s.client) return false;
  try {
    await s.client.workflow.start<AccountMessageWorkflow>('accountMessage', {
      workflowId: workflowIds.accountMessage(m.outboxId),
      taskQueue: s.taskQueue,
      args: [{ outboxId: m.outboxId, template: m.template }],
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [{ key: CustomerIdAttr, value: m.customerId }],
      staticSummary: `E-mail "${m.template}" to customer ${m.customerId}`,
    });
    return true;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return true;
    s.log.error({ err, outboxId: m.outboxId, customerId: m.customerId },
      'the account e-mail is saved in the outbox but its workflow did not start; the customer can ask for it again');
    return false;
  }
}
