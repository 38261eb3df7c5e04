/**
 * A customer message is never worth an order: one that still fails once its retries are spent (a
 * provider down for longer than NOTIFICATION_CALL's retries) is logged and the workflow goes on; its
 * outbox row stays failed, where support sees it and can resend. A cancel still stops the workflow.
 * Each caller names the patch under which its runs started doing so: older runs failed instead, and
 * replay as they ran.
 */
import { isCancellation, log, patched } from '@temporalio/workflow';

export async function sendOrGoOn(patchId: string, what: { orderId: string; template: string; channel: 'email' | 'sms' },
  send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (isCancellation(err) || !patched(patchId)) throw err;
    log.error('customer message not sent after every retry; the order goes on, support can resend it',
      { ...what, error: String((err as Error)?.message ?? err) });
  }
}
