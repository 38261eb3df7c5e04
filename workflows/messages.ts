/**
 * A customer message is never worth an order: one that still fails once its retries are spent (a
 * provider down for longer than NOTIFICATION_CALL's retries) is logged and the workflow goes on; its
 * outbox row stays failed, where support sees it and can resend. A cancel still stops the workflow.
 */
import { isCancellation, log, type ActivityInterfaceFor } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { Template } from '../src/domain/templates';
import type { CheckoutInput } from '../src/contracts/order';

export async function sendOrGoOn(what: { orderId: string; template: string; channel: 'email' | 'sms' }, send: () => Promise<unknown>): Promise<void> {
  try {
    await send();
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.error('customer message not sent after every retry; the workflow goes on, support can resend it',
      { ...what, error: String((err as Error)?.message ?? err) });
  }
}

/** A message about the order: by e-mail, and by SMS as well when the customer gave a phone number. */
export async function tellCustomer(via: Pick<ActivityInterfaceFor<Activities>, 'sendOrderNotification'>,
  input: Pick<CheckoutInput, 'orderId' | 'notifyBySms'>, template: Template, reason?: string): Promise<void> {
  const { orderId } = input;
  const channels = input.notifyBySms ? (['email', 'sms'] as const) : (['email'] as const);
  for (const channel of channels) {
    await sendOrGoOn({ orderId, template, channel }, () => via.sendOrderNotification.executeWithOptions(
      { summary: `${channel === 'sms' ? 'SMS' : 'E-mail'} "${template}" for order ${orderId}` }, [{ orderId, template, channel, reason }]));
  }
}
