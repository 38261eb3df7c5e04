/**
 * The account-message workflow (workflows/account-message.ts): one per e-mailed link, named after its
 * outbox row (workflowIds.accountMessage), so starting it twice sends once. Its input carries the
 * row's id, never the link: the rendered e-mail stays in the outbox row, out of the workflow's history.
 */
import type { AccountTemplate } from '../domain/templates';

export interface AccountMessageInput {
  outboxId: string;
  /** For the timeline's summary only. */
  template: AccountTemplate;
}

/**
 * sent; already_sent (an earlier attempt sent it); in_doubt (an attempt stopped mid-send: never sent
 * twice); refused (the provider refused the address for good; the row says why); skipped (no such row).
 */
export interface AccountMessageResult {
  status: 'sent' | 'already_sent' | 'in_doubt' | 'refused' | 'skipped';
  messageId?: string;
  reason?: string;
}

export type AccountMessageWorkflow = (input: AccountMessageInput) => Promise<AccountMessageResult>;
