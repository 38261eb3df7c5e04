/**
 * The default payment provider: behaves like Stripe's manual-capture PaymentIntents for Stripe's
 * own test payment methods, keeping its ledger in its own tables (src/store/simulated-payments.ts; it stands in for Stripe's side).
 *   pm_card_visa, pm_card_mastercard, pm_card_amex   authorized
 *   pm_card_chargeDeclined                            declined (generic_decline)
 *   pm_card_chargeDeclinedInsufficientFunds           declined (insufficient_funds)
 *   pm_card_authenticationRequired                    requires 3-D Secure; completed through
 *                                                     POST /simulated/payments/:id/authenticate
 *   pm_sim_flaky (this simulator's own)               the first call creates the payment but its
 *                                                     answer is "lost", the second fails with a 503,
 *                                                     the third answers: proves retries never charge twice
 */
import { randomBytes } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/postgresql';
import {
  cancelIntent, captureIntent, completeIntentAction, countProviderCall, intentById, intentOfOrder, intentOnce, refundIntentOnce, type IntentRow,
} from '../../store/simulated-payments';
import {
  PaymentProviderError, type AuthorizationResult, type AuthorizeRequest, type PaymentProvider, type ProviderPaymentStatus, type RefundRequest,
} from '../payments';

const APPROVED = new Set(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex', 'pm_sim_flaky']);
const DECLINED: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
};
export const SIMULATED_PAYMENT_METHODS = [...APPROVED, ...Object.keys(DECLINED), 'pm_card_authenticationRequired'];

export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';

  /** latencyMs: how long each call takes (SIMULATED_PAYMENT_LATENCY), half before the provider acts and half after, as a network round trip does. */
  constructor(private readonly orm: MikroORM, private readonly publicBaseUrl = 'http://127.0.0.1:3000', private readonly latencyMs = 0) {}

  async authorize(req: AuthorizeRequest): Promise<AuthorizationResult> {
    return this.slowly(() => this.authorizeNow(req));
  }

  private async authorizeNow(req: AuthorizeRequest): Promise<AuthorizationResult> {
    const attempt = await countProviderCall(this.em(), `authorize:${req.idempotencyKey}`, 'authorize');
    if (req.paymentMethod === 'pm_sim_flaky' && attempt === 2) {
      throw new PaymentProviderError('Simulated provider answered 503 Service Unavailable', 'provider_unavailable', true);
    }
    const status = req.paymentMethod === 'pm_card_authenticationRequired' ? 'requires_action'
      : DECLINED[req.paymentMethod] || !APPROVED.has(req.paymentMethod) ? 'requires_payment_method' : 'requires_capture';
    const intent = await intentOnce(this.em(), { id: `pi_sim_${randomBytes(12).toString('hex')}`, idempotencyKey: req.idempotencyKey,
      amount: req.amount, currency: req.currency, paymentMethod: req.paymentMethod, status, orderId: req.orderId });
    if (req.paymentMethod === 'pm_sim_flaky' && attempt === 1) {
      throw new PaymentProviderError('Connection reset after the request was sent (simulated)', 'network_error', true);
    }
    return this.toResult(intent);
  }

  async capture(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<{ capturedAmount: number }> {
    return this.slowly(async () => {
      const intent = await captureIntent(this.em(), req.providerRef, req.amount);
      if (!intent) throw await this.unexpectedState(req.providerRef, 'capture');
      return { capturedAmount: Number(intent.amount_captured) };
    });
  }

  /** The call takes latencyMs: the request travels, the provider acts, the answer travels back (a process killed meanwhile loses it). */
  private async slowly<T>(act: () => Promise<T>): Promise<T> {
    if (this.latencyMs <= 0) return act();
    await new Promise((r) => setTimeout(r, this.latencyMs / 2));
    const result = await act();
    await new Promise((r) => setTimeout(r, this.latencyMs / 2));
    return result;
  }

  async void(req: { idempotencyKey: string; providerRef: string }): Promise<void> {
    if (!(await cancelIntent(this.em(), req.providerRef))) throw await this.unexpectedState(req.providerRef, 'void');
  }

  async refund(req: RefundRequest): Promise<{ refundRef: string }> {
    const result = await refundIntentOnce(this.em(), { key: req.idempotencyKey, id: req.providerRef, amount: req.amount,
      refundRef: `re_sim_${randomBytes(12).toString('hex')}` });
    if (!result) throw await this.unexpectedState(req.providerRef, 'refund');
    return result;
  }

  /** The order's intent, by its id or by the order id in its metadata (as Stripe's search finds it). */
  async findAuthorization(q: { orderId: string; providerRef?: string }): Promise<AuthorizationResult | undefined> {
    const intent = q.providerRef ? await this.findIntent(q.providerRef) : await intentOfOrder(this.em(), q.orderId);
    return intent && this.toResult(intent);
  }

  async retrieve(providerRef: string): Promise<ProviderPaymentStatus> {
    const intent = await this.findIntent(providerRef);
    if (!intent) throw new PaymentProviderError(`Payment ${providerRef} does not exist.`, 'resource_missing', false);
    const status: Record<string, ProviderPaymentStatus> = { requires_action: 'requires_action', requires_capture: 'authorized',
      requires_payment_method: 'declined', canceled: 'canceled', succeeded: 'captured' };
    return status[intent.status] ?? 'declined';
  }

  /** The customer finished (or failed) 3-D Secure. Returns the event a webhook would deliver. */
  async completeAction(providerRef: string, outcome: 'succeeded' | 'failed'): Promise<{ orderId: string; status: string } | undefined> {
    const intent = await completeIntentAction(this.em(), providerRef, outcome === 'succeeded' ? 'requires_capture' : 'requires_payment_method');
    return intent && { orderId: intent.metadata.orderId, status: intent.status };
  }

  async findIntent(providerRef: string): Promise<IntentRow | undefined> {
    return intentById(this.em(), providerRef);
  }

  private toResult(intent: IntentRow): AuthorizationResult {
    if (intent.status === 'requires_action') {
      return { status: 'requires_action', providerRef: intent.id,
        nextAction: { type: 'redirect_to_url', url: `${this.publicBaseUrl}/simulated/payments/${intent.id}/authenticate` } };
    }
    if (intent.status === 'requires_payment_method') {
      const code = DECLINED[intent.payment_method] ?? 'payment_method_unknown';
      return { status: 'declined', providerRef: intent.id, declineCode: code, message: code === 'payment_method_unknown'
        ? `The simulated provider does not know the payment method ${intent.payment_method}.` : 'Your card was declined.' };
    }
    return { status: 'authorized', providerRef: intent.id };
  }

  private async unexpectedState(providerRef: string, operation: string): Promise<PaymentProviderError> {
    const intent = await this.findIntent(providerRef);
    return new PaymentProviderError(
      intent ? `Cannot ${operation} payment ${providerRef}: it is ${intent.status}.` : `Payment ${providerRef} does not exist.`,
      intent ? 'payment_intent_unexpected_state' : 'resource_missing', false);
  }

  private em() {
    return this.orm.em.fork();
  }
}
