/** Support's rules and inputs, without any server: the same reasons the workflow's validators give. */
import { refundRefusal, resendRefusal, retryPaymentRefusal } from '../../src/domain/support';
import { orderQuery } from '../../src/support/find';
import { parseAmount } from '../../src/support/actions';

const ID = '7d0f6a52-3c1e-4a4e-9a57-0b8f0f6b2a11';

describe('refunds', () => {
  it('are refused before the payment is captured, while rolling back, and after a cancel; allowed once dispatched', () => {
    const base = { dispatching: false, rollingBack: false };
    expect(refundRefusal(ID, { ...base, status: 'awaiting_fulfillment' })).toMatch(/has not been charged yet .* cancel the order to release the hold/);
    expect(refundRefusal(ID, { ...base, status: 'awaiting_fulfillment', dispatching: true })).toBeUndefined();
    expect(refundRefusal(ID, { ...base, status: 'shipped' })).toBeUndefined();
    expect(refundRefusal(ID, { ...base, status: 'delivered' })).toBeUndefined();
    expect(refundRefusal(ID, { ...base, status: 'cancelled' })).toBe(`order ${ID} is cancelled; its payment was already voided or refunded`);
    expect(refundRefusal(ID, { ...base, status: 'cancelling', rollingBack: true })).toMatch(/is being rolled back/);
    for (const amount of [0, -5, 1.5]) expect(refundRefusal(ID, { ...base, status: 'shipped', amount })).toMatch(/whole number of minor units/);
  });

  it('take minor units, or major units with a decimal point in the order\'s currency', () => {
    expect(parseAmount('1000', 'USD')).toBe(1000);
    expect(parseAmount('10.5', 'USD')).toBe(1050);
    expect(parseAmount('10.05', 'USD')).toBe(1005);
    expect(parseAmount('500', 'JPY')).toBe(500);
    for (const [text, currency] of [['10.005', 'USD'], ['1.5', 'JPY'], ['-1', 'USD'], ['ten', 'USD'], ['0', 'USD'], ['1e3', 'USD']]) {
      expect(() => parseAmount(text, currency)).toThrow();
    }
  });
});

describe('resend and retry-payment', () => {
  it('resend only an order\'s own messages, by e-mail or SMS', () => {
    expect(resendRefusal('order_confirmed', 'email')).toBeUndefined();
    expect(resendRefusal('abandoned_cart', 'email')).toMatch(/not a message of an order/);
    expect(resendRefusal('order_confirmed', 'fax')).toMatch(/email or sms/);
  });

  it('resend of a message sent more than once names which one from 1 on, or none for the latest', () => {
    expect(resendRefusal('out_for_delivery', 'sms', 2)).toBeUndefined();
    expect(resendRefusal('out_for_delivery', 'sms', undefined)).toBeUndefined();
    for (const bad of [0, -1, 1.5]) expect(resendRefusal('out_for_delivery', 'sms', bad)).toMatch(/occurrence must be 1, 2, 3/);
  });

  it('retry only a payment waiting for 3-D Secure, and say why not otherwise', () => {
    expect(retryPaymentRefusal(ID, 'awaiting_payment_action', 'requires_action')).toBeUndefined();
    expect(retryPaymentRefusal(ID, 'failed', 'declined')).toMatch(/its cart is open again, so the customer can check out again/);
    expect(retryPaymentRefusal(ID, 'pending', 'pending')).toMatch(/being authorized right now/);
    expect(retryPaymentRefusal(ID, 'shipped', 'authorized')).toBe(`the payment of order ${ID} is authorized; there is nothing to retry`);
    expect(retryPaymentRefusal(ID, 'cancelled', 'voided')).toMatch(/is cancelled; there is no payment to retry/);
  });
});

describe('the find query', () => {
  it('puts each filter on its search attribute, and a bare end date covers that whole day', () => {
    expect(orderQuery({ orderId: ID.toUpperCase(), status: 'shipped', minTotal: 100, maxTotal: 900, since: '2026-11-01', until: '2026-11-02' }))
      .toBe(`WorkflowType = "checkout" AND OrderId = "${ID}" AND OrderStatus = "shipped" AND OrderTotal >= 100 AND OrderTotal <= 900`
        + ' AND StartTime >= "2026-11-01T00:00:00.000Z" AND StartTime <= "2026-11-02T23:59:59.999Z"');
    expect(orderQuery({ customerId: ID, since: '2026-11-01T08:00:00Z', dateField: 'ExecutionTime' }))
      .toBe(`WorkflowType = "checkout" AND CustomerId = "${ID}" AND ExecutionTime >= "2026-11-01T08:00:00.000Z"`);
  });

  it('refuses any value that could change the query\'s shape', () => {
    for (const filters of [{ orderId: 'x" OR WorkflowType != "' }, { customerId: '1 OR 1=1' }, { status: 'shipped" OR "1"="1' },
      { since: '2026-11-01" OR "' }, { minTotal: -1 }, { maxTotal: 1.5 }, { dateField: 'CloseTime' as 'StartTime' }]) {
      expect(() => orderQuery(filters)).toThrow(expect.objectContaining({ code: 'validation_failed' }));
    }
  });
});
