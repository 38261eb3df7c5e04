/**
 * An order's workflow told that its customer is erased (forgetCustomer, from workflows/gdpr-erasure.ts):
 * it drops the free text it keeps, support's reasons in the timeline, the hold and cancel reasons and
 * the refunds' reasons, which may name the customer. Who acted, what and when stay.
 */
import { setHandler } from '@temporalio/workflow';
import { forgetCustomerSignal } from '../src/contracts/privacy';
import type { OrderControl } from './checkout-state';

const ERASED = '[erased]';

export function registerPrivacyHandlers(order: OrderControl): void {
  const { state } = order;
  setHandler(forgetCustomerSignal, () => {
    // Support's entries read "by <actor>: <reason>" or "by <actor> (<what>)": the actor stays.
    state.timeline = state.timeline.map((entry) => (entry.detail?.startsWith('by ')
      ? { ...entry, detail: entry.detail.replace(/^(by [^\s:(]+).*$/s, `$1: ${ERASED}`) } : entry));
    if (state.holdReason) state.holdReason = ERASED;
    if (state.cancelReason) state.cancelReason = ERASED;
    state.refunds = state.refunds?.map((r) => ({ ...r, reason: ERASED }));
  });
}
