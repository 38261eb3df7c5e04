/**
 * The real payment provider: Stripe PaymentIntents with manual capture (an authorization hold,
 * captured at shipping). Every call carries the idempotency key the activity derived from the
 * order, so Stripe answers a retried request with the result of the first one and never charges
 * twice. A card decline is an answer, not an error: it comes back as status 'declined'. Failures
 * are classified once here: a retry can help (rate limit, 5xx, network) or it cannot (bad request).
 */
import Stripe from 'stripe';
import {
  PaymentProviderError, type AuthorizationResult, type AuthorizeRequest, type PaymentProvider, type ProviderPaymentStatus, type RefundAnswer, type RefundRequest,
} from './payments';

export interface StripeProviderOptions {
  secretKey: string;
  /** STRIPE_API_BASE: another server speaking Stripe's API (stripe-mock in tests), e.g. http://127.0.0.1:12111. */
  apiBase?: string;
  /** Where the bank's 3-D Secure page sends the customer back; `{orderId}` is replaced (STRIPE_RETURN_URL). */
  returnUrl: string;
  timeoutMs?: number;
}

// Below the activity's 1-minute start-to-close timeout, so a hung call fails as a retryable network
// error inside the attempt instead of timing the whole attempt out. Stripe's own default is 80 s.
const REQUEST_TIMEOUT_MS = 20_000;

export class StripePaymentProvider implements PaymentProvider {
  readonly name = 'stripe';
  private readonly stripe: Stripe;

  constructor(private readonly opts: StripeProviderOptions) {
    this.stripe = new Stripe(opts.secretKey, {
      // Temporal's retry policy is the one retry loop: SDK retries inside an attempt would stretch it
      // past its timeout and hide the failures from the workflow's history.
      maxNetworkRetries: 0,
      timeout: opts.timeoutMs ?? REQUEST_TIMEOUT_MS,
      telemetry: false,
      ...apiBaseOptions(opts.apiBase),
    });
  }

  async authorize(req: AuthorizeRequest): Promise<AuthorizationResult> {
    try {
      const intent = await this.stripe.paymentIntents.create({
        amount: req.amount,
        currency: req.currency.toLowerCase(),
        capture_method: 'manual',
        confirm: true,
        payment_method: req.paymentMethod,
        // With a return URL, 3-D Secure comes back as a redirect the storefront can follow.
        return_url: this.opts.returnUrl.replace('{orderId}', encodeURIComponent(req.orderId)),
        // The webhook route finds the order's payment workflow through this.
        metadata: { orderId: req.orderId },
      }, { idempotencyKey: req.idempotencyKey });
      return authorizationOf(intent);
    } catch (err) {
      if (err instanceof Stripe.errors.StripeCardError) return declineOf(err);
      throw providerError(err, `authorize the payment of order ${req.orderId}`);
    }
  }

  async capture(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<{ capturedAmount: number }> {
    try {
      const intent = await this.stripe.paymentIntents.capture(req.providerRef, { amount_to_capture: req.amount }, { idempotencyKey: req.idempotencyKey });
      return { capturedAmount: intent.amount_received };
    } catch (err) {
      // Captured already (by an earlier attempt whose answer was lost, under another key): the money is where it should be.
      const intent = (err as Stripe.errors.StripeError).payment_intent;
      if (isUnexpectedState(err) && intent?.status === 'succeeded') return { capturedAmount: intent.amount_received };
      throw providerError(err, `capture payment ${req.providerRef}`);
    }
  }

  async void(req: { idempotencyKey: string; providerRef: string }): Promise<void> {
    try {
      await this.stripe.paymentIntents.cancel(req.providerRef, {}, { idempotencyKey: req.idempotencyKey });
    } catch (err) {
      // Already cancelled (the hold expired, or it was voided elsewhere): what a void wants is true.
      if (isUnexpectedState(err) && (err as Stripe.errors.StripeError).payment_intent?.status === 'canceled') return;
      throw providerError(err, `void payment ${req.providerRef}`);
    }
  }

  async refund(req: RefundRequest): Promise<RefundAnswer> {
    try {
      // The key in the metadata lets the webhook route match a refund event that beats our own record of its id (src/store/refunds.ts).
      const refund = await this.stripe.refunds.create({ payment_intent: req.providerRef, amount: req.amount,
        metadata: { orderId: req.orderId, idempotencyKey: req.idempotencyKey } }, { idempotencyKey: req.idempotencyKey });
      // Stripe can answer with a refund that already failed (the card's account is closed, say): no money went back, so it is not a refund.
      if (refund.status === 'failed' || refund.status === 'canceled') {
        throw new PaymentProviderError(`Stripe ${refund.status === 'failed' ? 'could not make' : 'cancelled'} refund ${refund.id} of ${req.amount} `
          + `on payment ${req.providerRef}${refund.failure_reason ? ` (${refund.failure_reason})` : ''}; no money went back`, 'refund_failed', false);
      }
      // Pending (or requires_action) is not money back yet: it can still fail, which Stripe tells the webhook.
      return { refundRef: refund.id, status: refund.status === 'succeeded' ? 'succeeded' : 'pending' };
    } catch (err) {
      if (err instanceof PaymentProviderError) throw err;
      throw providerError(err, `refund ${req.amount} of payment ${req.providerRef}`);
    }
  }

  /**
   * The order's PaymentIntent: retrieved by its id when known, else found by the order id in its
   * metadata with Stripe's search. Search's index trails by up to a minute, which is why it is only
   * asked once the idempotency key has expired (activities/payments.ts): a day after the intent was made.
   */
  async findAuthorization(q: { orderId: string; providerRef?: string }): Promise<AuthorizationResult | undefined> {
    try {
      if (q.providerRef) return authorizationOf(await this.stripe.paymentIntents.retrieve(q.providerRef));
      const found = await this.stripe.paymentIntents.search({ query: `metadata['orderId']:'${q.orderId.replace(/['\\]/g, '')}'`, limit: 10 });
      // Trust the metadata, not the query: a search answers what it matched, and an intent of another order is none of ours.
      const ours = found.data.filter((intent) => intent.metadata?.orderId === q.orderId).sort((a, b) => b.created - a.created);
      return ours[0] && authorizationOf(ours[0]);
    } catch (err) {
      if (q.providerRef && isMissing(err)) return undefined;
      throw providerError(err, `find the payment of order ${q.orderId}`);
    }
  }

  /** Where a PaymentIntent stands now: support's retry-payment asks when a 3-D Secure webhook never arrived. */
  async retrieve(providerRef: string): Promise<ProviderPaymentStatus> {
    try {
      return paymentStatusOf(await this.stripe.paymentIntents.retrieve(providerRef));
    } catch (err) {
      throw providerError(err, `look up payment ${providerRef}`);
    }
  }
}

/** A PaymentIntent's status in our words. processing: the bank has not answered yet, so it is still waiting like 3-D Secure. */
export function paymentStatusOf(intent: Stripe.PaymentIntent): ProviderPaymentStatus {
  switch (intent.status) {
    case 'requires_action':
    case 'processing':
      return 'requires_action';
    case 'requires_capture':
      return 'authorized';
    case 'succeeded':
      return 'captured';
    case 'requires_payment_method':
      return 'declined';
    case 'canceled':
      return 'canceled';
    default:
      // requires_confirmation: we confirm in the same call that creates the intent, so ours are never left there.
      throw new PaymentProviderError(`Stripe has payment ${intent.id} in state ${intent.status}, which no payment of ours is left in.`,
        'payment_intent_unexpected_state', false);
  }
}

/** What a confirmed PaymentIntent's status means for the order. */
export function authorizationOf(intent: Stripe.PaymentIntent): AuthorizationResult {
  switch (intent.status) {
    case 'requires_capture':
    case 'succeeded':
      return { status: 'authorized', providerRef: intent.id };
    case 'requires_action': {
      const url = intent.next_action?.redirect_to_url?.url;
      return { status: 'requires_action', providerRef: intent.id, ...(url ? { nextAction: { type: 'redirect_to_url', url } } : {}) };
    }
    // Some methods settle asynchronously: the outcome arrives as a webhook, which the payment workflow waits for.
    case 'processing':
      return { status: 'requires_action', providerRef: intent.id };
    case 'requires_payment_method':
    case 'canceled': {
      const error = intent.last_payment_error;
      return { status: 'declined', providerRef: intent.id,
        declineCode: error?.decline_code || error?.code || (intent.status === 'canceled' ? 'canceled' : 'payment_failed'),
        message: error?.message ?? 'The payment was not authorized.' };
    }
    default:
      throw new PaymentProviderError(`Stripe left payment ${intent.id} in state ${intent.status} after confirming it.`, 'payment_intent_unexpected_state', false);
  }
}

/** A card decline during confirmation: Stripe answers 402 and the intent goes back to requires_payment_method. */
export function declineOf(err: Stripe.errors.StripeCardError): AuthorizationResult {
  return {
    status: 'declined',
    // Stripe attaches the intent to every decline of a confirmation; without it there is nothing to void.
    providerRef: err.payment_intent?.id ?? '',
    declineCode: err.decline_code || err.code || 'card_declined', // the SDK leaves an absent decline_code as ''
    message: err.message,
  };
}

/** Whether a retry with the same idempotency key can help: rate limits, Stripe's 5xx and network failures can. */
export function providerError(err: unknown, what: string): unknown {
  if (!(err instanceof Stripe.errors.StripeError)) return err; // a bug of ours, not Stripe's answer: the retry policy decides
  const message = `Stripe could not ${what}: ${err.message}${err.requestId ? ` (request ${err.requestId})` : ''}`;
  if (err instanceof Stripe.errors.StripeRateLimitError) return new PaymentProviderError(message, 'rate_limited', true);
  if (err instanceof Stripe.errors.StripeConnectionError) return new PaymentProviderError(message, 'network_error', true);
  // A key that is revoked or lacks a permission is fixed by an operator, after which the retry goes through.
  if (err instanceof Stripe.errors.StripeAuthenticationError || err instanceof Stripe.errors.StripePermissionError) {
    return new PaymentProviderError(message, 'provider_authentication_failed', true);
  }
  if (err instanceof Stripe.errors.StripeIdempotencyError) return new PaymentProviderError(message, 'idempotency_key_reused', false);
  if (err instanceof Stripe.errors.StripeInvalidRequestError || err instanceof Stripe.errors.StripeCardError) {
    return new PaymentProviderError(message, err.code ?? 'invalid_request', false);
  }
  const status = err.statusCode;
  return new PaymentProviderError(message, 'provider_unavailable', status === undefined || status >= 500 || status === 409);
}

function isMissing(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'resource_missing';
}

function isUnexpectedState(err: unknown): boolean {
  return err instanceof Stripe.errors.StripeInvalidRequestError && err.code === 'payment_intent_unexpected_state';
}

/** STRIPE_API_BASE as the SDK's host, port and protocol options. */
export function apiBaseOptions(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (!apiBase) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  return { host: url.hostname, port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}
