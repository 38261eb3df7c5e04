/** toFailure: every failure an activity reports has an ErrorCode as its type; a provider's own code travels in the details. */
import { ApplicationFailure } from '@temporalio/common';
import { toFailure } from '../../activities/errors';
import { DomainError, ErrorCode } from '../../src/domain/errors';
import { PaymentProviderError } from '../../src/integrations/payments';
import { NotifierError } from '../../src/integrations/notifier';
import { CarrierError } from '../../src/integrations/carrier';

const codes: string[] = Object.values(ErrorCode);

it('a domain error keeps its code and details and is never retried', () => {
  const failure = toFailure(new DomainError(ErrorCode.OutOfStock, 'Not enough TEE in stock.', { sku: 'TEE' }));
  expect(failure).toBeInstanceOf(ApplicationFailure);
  expect(failure).toMatchObject({ type: 'out_of_stock', message: 'Not enough TEE in stock.', nonRetryable: true, details: [{ sku: 'TEE' }] });
});

it("a provider's error becomes its ErrorCode, retryable as the provider said, with the provider's code in the details and the message", () => {
  expect(toFailure(new PaymentProviderError('Stripe refused the refund', 'refund_failed', false))).toMatchObject({
    type: 'payment_provider_error', nonRetryable: true, message: 'Stripe refused the refund (refund_failed)',
    details: [{ providerCode: 'refund_failed', retryable: false }] });
  expect(toFailure(new PaymentProviderError('Stripe answered 503', 'provider_unavailable', true)))
    .toMatchObject({ type: 'payment_provider_error', nonRetryable: false, details: [{ providerCode: 'provider_unavailable', retryable: true }] });
  expect(toFailure(new NotifierError('SendGrid answered 403: not a verified sender', false)))
    .toMatchObject({ type: 'notifier_error', nonRetryable: true, message: 'SendGrid answered 403: not a verified sender' });
  expect(toFailure(new CarrierError('the carrier did not answer', true))).toMatchObject({ type: 'carrier_error', nonRetryable: false });
  for (const err of [new PaymentProviderError('x', 'card_declined', false), new NotifierError('x', true), new CarrierError('x', false)]) {
    expect(codes).toContain((toFailure(err) as ApplicationFailure).type);
  }
});

it('anything else is left to the retry policy as it is', () => {
  const err = new Error('connection reset');
  expect(toFailure(err)).toBe(err);
});
