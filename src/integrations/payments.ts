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
  refund(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<RefundAnswer>;
  /** Where a payment stands now (support's retry-payment). Optional: without it, that action is refused. */
  retrieve?(providerRef: string): Promise<ProviderPaymentStatus>;
}

export interface RefundAnswer { refundRef: string; status?: 'succeeded' | 'pending' }

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
