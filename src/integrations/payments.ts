/**
 * The payment provider seam. Two implementations: the real Stripe SDK (src/integrations/stripe.ts)
 * and the simulated provider (the default, no account needed). Every call that moves money takes
 * an idempotency key derived from the order, so a retried activity never charges twice.
 */
export type AuthorizationStatus = 'authorized' | 'declined' | 'requires_action';

export interface AuthorizeRequest {
  idempotencyKey: string;
  amount: number;
  currency: string;
  paymentMethod: string;
  orderId: string;
}

export interface AuthorizationResult {
  status: AuthorizationStatus;
  providerRef: string;
  declineCode?: string;
  message?: string;
  nextAction?: { type: 'redirect_to_url'; url: string };
}

export interface PaymentProvider {
  readonly name: string;
  /** Create and confirm a manual-capture payment (an authorization hold). */
  authorize(req: AuthorizeRequest): Promise<AuthorizationResult>;
  capture(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<{ capturedAmount: number }>;
  /** Release an authorization that was never captured. */
  void(req: { idempotencyKey: string; providerRef: string }): Promise<void>;
  /**
   * Sends money back. `pending`: the provider accepted the refund but the money has not gone back yet
   * (Stripe's pending / requires_action); its outcome arrives later as a webhook. Absent: succeeded.
   */
  refund(req: RefundRequest): Promise<RefundAnswer>;
  /** Where a payment stands now (support's retry-payment). Optional: without it, that action is refused. */
  retrieve?(providerRef: string): Promise<ProviderPaymentStatus>;
  /**
   * The authorization made for an order, by its id when it is known, else by the order id the provider
   * keeps with it (Stripe: the intent's metadata, through its search); undefined when there is none.
   * For what must not create one: a retry or a compensation that comes after the provider has forgotten
   * the idempotency key (Stripe: 24 hours), when replaying the request would place a second hold.
   * Optional: without it such a step cannot tell, and says so (activities/payments.ts).
   */
  findAuthorization?(q: { orderId: string; providerRef?: string }): Promise<AuthorizationResult | undefined>;
}

/**
 * How long the provider keeps an idempotency key: a request replayed later is a new request. Stripe
 * keeps them 24 hours; an hour less leaves room for clocks and a request in flight at the edge.
 */
export const IDEMPOTENCY_KEY_LIFETIME_MS = 23 * 60 * 60 * 1000;

export interface RefundAnswer { refundRef: string; status?: 'succeeded' | 'pending' }

/**
 * A refund request. `orderId` and the idempotency key travel with the refund at the provider (Stripe:
 * its metadata), so a webhook about it that arrives before its id is saved still finds its row.
 */
export interface RefundRequest { idempotencyKey: string; providerRef: string; amount: number; orderId: string }

/** A payment's state at the provider, in our words (Stripe: requires_action, requires_capture, requires_payment_method, canceled, succeeded). */
export type ProviderPaymentStatus = 'requires_action' | 'authorized' | 'declined' | 'canceled' | 'captured';

/**
 * A provider call that failed. `retryable` decides what the workflow does: a network error, a rate
 * limit or a 5xx is retried with the same idempotency key; a bad request never is.
 */
export class PaymentProviderError extends Error {
  constructor(message: string, readonly code: string, readonly retryable: boolean) {
    super(message);
    this.name = 'PaymentProviderError';
  }
}
