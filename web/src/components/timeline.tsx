import type { TimelineEvent } from '../api/client';

const STATUS: Record<string, string> = {
  pending: 'Placed', awaiting_payment_action: 'Waiting for your bank', payment_authorized: 'Paid', confirmed: 'Confirmed',
  awaiting_fulfillment: 'Being prepared', shipped: 'On its way', delivered: 'Delivered', cancelling: 'Cancelling', cancelled: 'Cancelled', failed: 'Not placed',
};

export const statusWords = (status: string) => STATUS[status] ?? status.replace(/_/g, ' ');

/** The order's timeline in plain words, newest first; new entries are announced to screen readers as they arrive. */
export function Timeline({ events, state }: { events: TimelineEvent[]; state: string }) {
  return (
    <section aria-labelledby="timeline-heading" class="timeline">
      <h2 id="timeline-heading">What is happening <span class={`live live-${state}`}>{state === 'open' ? 'live' : state === 'reconnecting' ? 'reconnecting…' : ''}</span></h2>
      <ol aria-live="polite" aria-relevant="additions">
        {[...events].reverse().map((e) => (
          <li key={e.id} class={`kind-${e.kind}`}>
            <time dateTime={e.at}>{new Date(e.at).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })}</time>
            <span>{e.text}</span>
          </li>
        ))}
      </ol>
    </section>
  );
}
