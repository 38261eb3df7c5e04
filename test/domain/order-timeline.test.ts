import { describeOrderEvent } from '../../src/domain/order-timeline';

describe('an order\'s timeline in plain words', () => {
  it('says why a card was declined, and what a refund gave back', () => {
    expect(describeOrderEvent({ kind: 'payment', status: 'declined', detail: { declineCode: 'card_declined' } })).toBe('Card declined: the bank declined the card');
    expect(describeOrderEvent({ kind: 'payment', status: 'failed', detail: { declineCode: 'authentication_timeout' } }))
      .toBe('Payment failed: the bank\'s confirmation was not completed in time');
    expect(describeOrderEvent({ kind: 'refund', status: 'succeeded', detail: { amount: '500', currency: 'USD' } })).toBe('Refund of $5.00 made');
  });

  it('names the carrier and tracking number of the label, and a scan\'s own description when it adds something', () => {
    expect(describeOrderEvent({ kind: 'shipment', status: 'label_created', detail: { carrier: 'UPS', trackingNumber: '1Z999' } })).toBe('Shipping label bought: UPS 1Z999');
    expect(describeOrderEvent({ kind: 'scan', status: 'in_transit', detail: { description: 'Departed Leeds hub' } })).toBe('In transit: Departed Leeds hub');
    expect(describeOrderEvent({ kind: 'scan', status: 'delivered', detail: { description: 'Delivered' } })).toBe('Delivered');
  });

  it('falls back to the status in words for one it does not know', () => {
    expect(describeOrderEvent({ kind: 'order', status: 'on_the_moon', detail: {} })).toBe('On the moon');
  });
});
