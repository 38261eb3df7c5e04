/**
 * The order's state machine and the rules support and customers run into: pure, deterministic,
 * shared by the workflow (update validators), the API and the CLI.
 */
export const ORDER_STATUSES = [
  'pending', 'awaiting_payment_action', 'payment_authorized', 'confirmed', 'awaiting_fulfillment',
  'shipped', 'delivered', 'returned', 'cancelling', 'cancelled', 'failed',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const FINAL_STATUSES: readonly OrderStatus[] = ['delivered', 'returned', 'cancelled', 'failed'];

/** How far the warehouse has got with an order (the fulfillment workflow reports each stage to the order). */
export type FulfillmentStage = 'allocated' | 'packed' | 'labelled' | 'dispatching' | 'shipped';

/*
 * Dispatch is the order's point of no return. Once the warehouse starts dispatching (it captures the
 * payment and hands the parcel to the carrier) a cancel is too late and the money can only come back
 * as a refund; once the order has shipped, nothing is rolled back automatically any more. Before
 * that, the printed label already fixes the address.
 */
const SHIPPED_OR_LATER: readonly OrderStatus[] = ['shipped', 'delivered', 'returned'];
const DISPATCHING_OR_LATER: readonly FulfillmentStage[] = ['dispatching', 'shipped'];

/** The parcel has left and the payment is captured: a failure or an operator's cancel rolls nothing back. */
export function hasShipped(status: OrderStatus): boolean {
  return SHIPPED_OR_LATER.includes(status);
}

/** Past the point of no return: the parcel is being dispatched or has left; a cancel is too late, a refund is possible. */
export function isDispatching(status: OrderStatus, stage: FulfillmentStage | undefined): boolean {
  return hasShipped(status) || (stage !== undefined && DISPATCHING_OR_LATER.includes(stage));
}

/** The shipping label, with the address on it, is printed: the address can no longer change. */
export function isLabelled(status: OrderStatus, stage: FulfillmentStage | undefined): boolean {
  return isDispatching(status, stage) || stage === 'labelled';
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  region?: string;
  postalCode: string;
  country: string;
}

/** A customer keeps at most this many saved addresses: plenty for a person, and a bound on what one account can store. */
export const MAX_SAVED_ADDRESSES = 20;

/** Why an order cannot be cancelled now, or undefined when it can. */
export function cancellationRefusal(orderId: string, status: OrderStatus): string | undefined {
  if (hasShipped(status)) return `order ${orderId} has shipped; it can no longer be cancelled (start a return instead)`;
  if (status === 'cancelling' || status === 'cancelled') return `order ${orderId} is already ${status}`;
  if (status === 'failed') return `order ${orderId} has already failed and was rolled back`;
  return undefined;
}

export function addressChangeRefusal(orderId: string, status: OrderStatus): string | undefined {
  if (hasShipped(status)) return `order ${orderId} has shipped; its address can no longer change`;
  if (FINAL_STATUSES.includes(status) || status === 'cancelling') return `order ${orderId} is ${status}; its address can no longer change`;
  return undefined;
}

export function holdRefusal(orderId: string, status: OrderStatus, held: boolean, wantHeld: boolean): string | undefined {
  if (FINAL_STATUSES.includes(status) || status === 'cancelling') return `order ${orderId} is ${status}; there is nothing to ${wantHeld ? 'hold' : 'release'}`;
  if (hasShipped(status)) return `order ${orderId} has shipped; it can no longer be held`;
  if (held === wantHeld) return `order ${orderId} is ${held ? 'already on hold' : 'not on hold'}`;
  return undefined;
}

const COUNTRY = /^[A-Z]{2}$/;

/** Problems with an address, as `field: message` strings; empty when it is acceptable. */
export function addressProblems(a: Partial<ShippingAddress>): string[] {
  const problems: string[] = [];
  const text = (field: keyof ShippingAddress, max: number, required: boolean) => {
    const v = a[field];
    if (v === undefined || v === null || v === '') {
      if (required) problems.push(`${field}: required`);
    } else if (typeof v !== 'string' || v.trim().length === 0 || v.length > max) {
      problems.push(`${field}: must be text of 1 to ${max} characters`);
    }
  };
  text('name', 200, true);
  text('line1', 200, true);
  text('line2', 200, false);
  text('city', 100, true);
  text('region', 100, false);
  text('postalCode', 20, true);
  if (typeof a.country !== 'string' || !COUNTRY.test(a.country)) problems.push('country: must be an ISO 3166 alpha-2 code such as US or DE');
  return problems;
}
