/**
 * The default payment provider: behaves like Stripe's manual-capture PaymentIntents for Stripe's
 * own test payment methods, keeping its ledger in its own table (it stands in for Stripe's side).
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
import { PaymentProviderError, type AuthorizationResult, type AuthorizeRequest, type PaymentProvider, type ProviderPaymentStatus } from '../payments';

const APPROVED = new Set(['pm_card_visa', 'pm_card_mastercard', 'pm_card_amex', 'pm_sim_flaky']);
const DECLINED: Record<string, string> = {
  pm_card_chargeDeclined: 'generic_decline',
  pm_card_chargeDeclinedInsufficientFunds: 'insufficient_funds',
  pm_card_chargeDeclinedExpiredCard: 'expired_card',
};
export const SIMULATED_PAYMENT_METHODS = [...APPROVED, ...Object.keys(DECLINED), 'pm_card_authenticationRequired'];

interface IntentRow { id: string; status: string; payment_method: string; amount: string; amount_captured: string; amount_refunded: string }

export class SimulatedPaymentProvider implements PaymentProvider {
  readonly name = 'simulated';

  constructor(private readonly orm: MikroORM, private readonly publicBaseUrl = 'http://127.0.0.1:3000') {}

  async authorize(req: AuthorizeRequest): Promise<AuthorizationResult> {
    const attempt = await this.countAttempt(req.idempotencyKey, 'authorize');
    if (req.paymentMethod === 'pm_sim_flaky' && attempt === 2) {
      throw new PaymentProviderError('Simulated provider answered 503 Service Unavailable', 'provider_unavailable', true);
    }
    const status = req.paymentMethod === 'pm_card_authenticationRequired' ? 'requires_action'
      : DECLINED[req.paymentMethod] || !APPROVED.has(req.paymentMethod) ? 'requires_payment_method' : 'requires_capture';
    await this.conn().execute(
      `insert into simulated_payment_intents (id, idempotency_key, amount, currency, payment_method, status, metadata)
       values (?, ?, ?, ?, ?, ?, ?) on conflict (idempotency_key) do nothing`,
      [`pi_sim_${randomBytes(12).toString('hex')}`, req.idempotencyKey, req.amount, req.currency, req.paymentMethod, status,
        JSON.stringify({ orderId: req.orderId })]);
    if (req.paymentMethod === 'pm_sim_flaky' && attempt === 1) {
      throw new PaymentProviderError('Connection reset after the request was sent (simulated)', 'network_error', true);
    }
    const [intent] = await this.conn().execute<IntentRow[]>('select * from simulated_payment_intents where idempotency_key = ?', [req.idempotencyKey]);
    return this.toResult(intent);
  }

  async capture(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<{ capturedAmount: number }> {
    const rows = await this.conn().execute<IntentRow[]>(
      `update simulated_payment_intents set status = 'succeeded', amount_captured = ?, updated_at = now()
        where id = ? and (status = 'requires_capture' or (status = 'succeeded' and amount_captured = ?)) and ? <= amount returning *`,
      [req.amount, req.providerRef, req.amount, req.amount]);
    if (rows.length === 0) throw await this.unexpectedState(req.providerRef, 'capture');
    return { capturedAmount: Number(rows[0].amount_captured) };
  }

  async void(req: { idempotencyKey: string; providerRef: string }): Promise<void> {
    const rows = await this.conn().execute<IntentRow[]>(
      `update simulated_payment_intents set status = 'canceled', updated_at = now()
        where id = ? and status in ('requires_capture', 'requires_action', 'requires_payment_method', 'canceled') returning *`,
      [req.providerRef]);
    if (rows.length === 0) throw await this.unexpectedState(req.providerRef, 'void');
  }

  async refund(req: { idempotencyKey: string; providerRef: string; amount: number }): Promise<{ refundRef: string }> {
    const em = this.orm.em.fork();
    return em.transactional(async (tx) => {
      const conn = tx.getConnection();
      const ctx = tx.getTransactionContext();
      const done = await conn.execute<{ result: { refundRef: string } }[]>(
        `select result from simulated_provider_calls where idempotency_key = ? and result is not null`, [req.idempotencyKey], 'all', ctx);
      if (done.length) return done[0].result;
      const rows = await conn.execute<IntentRow[]>(
        `update simulated_payment_intents set amount_refunded = amount_refunded + ?, updated_at = now()
          where id = ? and status = 'succeeded' and amount_refunded + ? <= amount_captured returning *`,
        [req.amount, req.providerRef, req.amount], 'all', ctx);
      if (rows.length === 0) throw await this.unexpectedState(req.providerRef, 'refund');
      const result = { refundRef: `re_sim_${randomBytes(12).toString('hex')}` };
      await conn.execute(
        `insert into simulated_provider_calls (idempotency_key, operation, attempts, result) values (?, 'refund', 1, ?)
         on conflict (idempotency_key) do update set result = excluded.result`, [req.idempotencyKey, JSON.stringify(result)], 'run', ctx);
      return result;
    });
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
    const rows = await this.conn().execute<(IntentRow & { metadata: { orderId: string } })[]>(
      `update simulated_payment_intents set status = ?, updated_at = now() where id = ? and status = 'requires_action' returning *`,
      [outcome === 'succeeded' ? 'requires_capture' : 'requires_payment_method', providerRef]);
    if (rows.length === 0) return undefined;
    return { orderId: rows[0].metadata.orderId, status: rows[0].status };
  }

  async findIntent(providerRef: string): Promise<(IntentRow & { metadata: { orderId: string } }) | undefined> {
    const [row] = await this.conn().execute<(IntentRow & { metadata: { orderId: string } })[]>(
      'select * from simulated_payment_intents where id = ?', [providerRef]);
    return row;
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

  private async countAttempt(idempotencyKey: string, operation: string): Promise<number> {
    const [row] = await this.conn().execute<{ attempts: number }[]>(
      `insert into simulated_provider_calls (idempotency_key, operation, attempts) values (?, ?, 1)
       on conflict (idempotency_key) do update set attempts = simulated_provider_calls.attempts + 1 returning attempts`,
      [`${operation}:${idempotencyKey}`, operation]);
    return row.attempts;
  }

  private async unexpectedState(providerRef: string, operation: string): Promise<PaymentProviderError> {
    const intent = await this.findIntent(providerRef);
    return new PaymentProviderError(
      intent ? `Cannot ${operation} payment ${providerRef}: it is ${intent.status}.` : `Payment ${providerRef} does not exist.`,
      intent ? 'payment_intent_unexpected_state' : 'resource_missing', false);
  }

  private conn() {
    return this.orm.em.fork().getConnection();
  }
}
