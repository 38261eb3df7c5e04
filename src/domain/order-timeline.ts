/**
 * An order's timeline in plain words, for the customer: each change the database recorded (the
 * order_events table: the order, its payment, its fulfillment, its parcel and its refunds) becomes
 * one sentence a shopper understands. Pure: the live order page's stream and its tests share it.
 */
import { formatMoney } from './money';

export type OrderEventKind = 'order' | 'payment' | 'fulfillment' | 'shipment' | 'scan' | 'refund';

export interface OrderEventFacts {
  kind: OrderEventKind;
  status: string;
  detail: {
    declineCode?: string; amount?: number | string; currency?: string; warehouse?: string;
    carrier?: string; trackingNumber?: string; description?: string; occurredAt?: string;
  };
}

const ORDER: Record<string, string> = {
  pending: 'Order placed',
  awaiting_payment_action: 'Waiting for you to confirm the payment with your bank',
  payment_authorized: 'Payment authorized',
  confirmed: 'Order confirmed',
  awaiting_fulfillment: 'Sent to the warehouse',
  shipped: 'Shipped',
  delivered: 'Delivered',
  cancelling: 'Cancelling the order',
  cancelled: 'Order cancelled',
  failed: 'Order not placed',
};

const PAYMENT: Record<string, string> = {
  pending: 'Payment started',
  requires_action: 'Your bank asked you to confirm the payment (3-D Secure)',
  authorized: 'Card authorized (not charged yet: the charge is taken when the parcel ships)',
  requires_capture: 'Card authorized',
  declined: 'Card declined',
  failed: 'Payment failed',
  voided: 'Card authorization released: nothing was charged',
  captured: 'Card charged',
  refunded: 'Payment refunded',
};

const FULFILLMENT: Record<string, string> = {
  allocated: 'Allocated to a warehouse',
  packed: 'Packed',
  labelled: 'Shipping label printed',
  shipped: 'Handed to the carrier',
  cancelled: 'Warehouse work cancelled',
};

const SCAN: Record<string, string> = {
  label_created: 'Label created',
  in_transit: 'In transit',
  out_for_delivery: 'Out for delivery',
  delivered: 'Delivered',
  exception: 'Delivery problem',
  returned: 'Returned to the sender',
  lost: 'Reported lost by the carrier',
};

const DECLINES: Record<string, string> = {
  card_declined: 'the bank declined the card',
  generic_decline: 'the bank declined the card',
  insufficient_funds: 'the card has insufficient funds',
  authentication_failed: 'the bank could not confirm it was you',
  authentication_timeout: 'the bank\'s confirmation was not completed in time',
  expired_card: 'the card has expired',
};

const words = (status: string) => status.replace(/_/g, ' ').replace(/^./, (c) => c.toUpperCase());

/** One timeline entry's sentence. */
export function describeOrderEvent({ kind, status, detail }: OrderEventFacts): string {
  switch (kind) {
    case 'order': return ORDER[status] ?? words(status);
    case 'payment': {
      const text = PAYMENT[status] ?? `Payment ${status.replace(/_/g, ' ')}`;
      const reason = detail.declineCode ? DECLINES[detail.declineCode] ?? detail.declineCode.replace(/_/g, ' ') : undefined;
      return (status === 'declined' || status === 'failed') && reason ? `${text}: ${reason}` : text;
    }
    case 'fulfillment': return FULFILLMENT[status] ?? words(status);
    case 'shipment':
      return status === 'voided' ? 'Shipping label cancelled'
        : `Shipping label bought${detail.carrier ? `: ${detail.carrier} ${detail.trackingNumber ?? ''}`.trimEnd() : ''}`;
    case 'scan': {
      const text = SCAN[status] ?? words(status);
      return detail.description && detail.description.toLowerCase() !== text.toLowerCase() ? `${text}: ${detail.description}` : text;
    }
    case 'refund': {
      const amount = detail.amount !== undefined && detail.currency ? ` of ${formatMoney({ amount: Number(detail.amount), currency: detail.currency })}` : '';
      return status === 'failed' ? `Refund${amount} failed: support has been told` : `Refund${amount} ${status === 'pending' ? 'requested' : 'made'}`;
    }
  }
}
