/**
 * gdpr-erasure (`gdpr-erasure-<customerId>`): a customer's right to be forgotten, asked for by the
 * customer (DELETE /me, with their password) or by an admin. It closes the account at once, then
 * waits, durably and for days if need be, while an order of theirs is between payment and delivery
 * (the shop still needs their address and e-mail to deliver it and tell them so), looking again
 * every day; an admin may decide meanwhile (erase now, or withdraw). Then it tells the order
 * workflows still open to drop what they hold, and replaces the personal data in PostgreSQL with
 * tombstones in one transaction. Its history holds ids and counts, never the data it erases.
 */
import { condition, getExternalWorkflowHandle, proxyActivities, setCurrentDetails, setHandler } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { decideErasureUpdate, erasureStatusQuery, forgetCustomerSignal, type ErasureDecision, type ErasureInput, type ErasureState }
  from '../src/contracts/privacy';
import { workflowIds } from '../src/contracts/temporal';
import { refuseIf } from './refusals';

/** An erasure must happen: database steps retry until they succeed (backing off to 10 minutes), visible in the UI meanwhile. */
const steps = proxyActivities<Activities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 minutes' },
});
/** Orders move on their own (a parcel delivered, a payment voided): a daily look is soon enough, and costs one activity a day. */
const DEFAULT_RECHECK = '1 day';

export async function gdprErasure(input: ErasureInput): Promise<ErasureState> {
  const state: ErasureState = { customerId: input.customerId, stage: 'waiting_for_orders', waitingFor: [] };
  let decision: ErasureDecision | undefined;
  setHandler(erasureStatusQuery, () => state);
  setHandler(decideErasureUpdate, async (d) => {
    decision = d;
    state.decidedBy = d.actor;
    await condition(() => state.stage !== 'waiting_for_orders');
    return state;
  }, {
    validator: (d: ErasureDecision) => {
      refuseIf(state.stage !== 'waiting_for_orders' || decision !== undefined
        ? `the erasure of customer ${input.customerId} is ${decision ? 'decided' : state.stage}; there is nothing left to decide` : undefined);
      refuseIf(d?.decision === 'erase_now' || d?.decision === 'withdraw' ? undefined : 'the decision is erase_now or withdraw');
      refuseIf(typeof d.actor === 'string' && d.actor.startsWith('staff:') ? undefined : 'the actor is a staff account (staff:<name>)');
    },
  });

  await steps.closeAccountForErasure.executeWithOptions({ summary: 'Close the account: no sign-in, sessions and links ended' },
    [input.customerId, input.requestedBy]);
  const since = new Date().toISOString();
  for (;;) {
    state.waitingFor = await steps.customerOrdersInFlight.executeWithOptions({ summary: 'Look for orders between payment and delivery' }, [input.customerId]);
    if (state.waitingFor.length === 0 || decision) break;
    setCurrentDetails(`Waiting since ${since} for ${state.waitingFor.length} order(s) to be delivered or closed: `
      + `${state.waitingFor.join(', ')}; an admin may decide sooner`);
    await condition(() => decision !== undefined, input.recheckEvery ?? DEFAULT_RECHECK);
  }
  if (decision?.decision === 'withdraw') {
    await steps.withdrawErasure.executeWithOptions({ summary: `Withdrawn by ${decision.actor}: the account opens again` }, [input.customerId, decision.actor]);
    state.stage = 'withdrawn';
    setCurrentDetails(`Withdrawn by ${decision.actor}`);
    return state;
  }
  state.stage = 'erasing';
  setCurrentDetails('Erasing');
  await tellOrdersToForget(await steps.customerOrdersMaybeOpen.executeWithOptions(
    { summary: 'Find the orders whose workflows may still be open' }, [input.customerId]));
  state.rowsChanged = await steps.erasePersonalData.executeWithOptions(
    { summary: 'Replace personal data with tombstones; scrub the outbox, delivery reports, webhook payloads, support notes' },
    [input.customerId, decision?.actor]);
  state.stage = 'erased';
  setCurrentDetails(`Erased; ${Object.values(state.rowsChanged).reduce((a, b) => a + b, 0)} row(s) changed`);
  return state;
}

/** A closed workflow has nothing to drop: the signal to it fails, and that is fine. */
async function tellOrdersToForget(orderIds: string[]): Promise<void> {
  await Promise.all(orderIds.map((orderId) => getExternalWorkflowHandle(workflowIds.checkout(orderId)).signal(forgetCustomerSignal)
    .catch(() => undefined)));
}
