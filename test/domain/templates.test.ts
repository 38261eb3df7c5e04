import { ACCOUNT_TEMPLATES, describeDuration, render, renderAccountMessage, TEMPLATES, type MessageData } from '../../src/domain/templates';
import { isE164 } from '../../src/domain/phone';

const data: MessageData = {
  orderId: '5f0c1d2e-0000-4000-8000-000000000000', customerName: 'Ada <Lovelace> & "Co"', total: { amount: 4900, currency: 'USD' },
  lines: [{ title: 'Mug (White)', quantity: 2 }, { title: 'Tee (M)', quantity: 1 }],
  shipment: { carrier: 'UPS', trackingNumber: '1Z999AA10123456784', trackingUrl: 'https://track.example.com/1Z999AA10123456784' },
};

describe('customer messages', () => {
  it.each(TEMPLATES)('%s renders a subject, a text and an HTML body, and an SMS that fits one message', (template) => {
    const m = render(template, data);
    expect(m.subject.length).toBeGreaterThan(5);
    expect(m.text).toContain('Total: $49.00');
    expect(m.text).toContain('2 x Mug (White)');
    expect(m.html).toContain('<li>2 x Mug (White)</li>');
    expect(m.sms.length).toBeLessThanOrEqual(160);
    // SMS stays in the GSM-7 alphabet (no curly quotes or dashes) so it is not split into 70-character parts.
    expect(m.sms).toMatch(/^[\x20-\x7E]+$/);
  });

  it("escapes what the customer typed in the HTML, never in the text", () => {
    const m = render('order_confirmed', data);
    expect(m.html).toContain('Ada &#60;Lovelace&#62; &#38; &#34;Co&#34;');
    expect(m.html).not.toContain('<Lovelace>');
    expect(m.text).toContain('Thank you, Ada <Lovelace> & "Co".');
  });

  it('order messages carry the short order reference; shipping messages the carrier, tracking number and link', () => {
    expect(render('order_confirmed', data).subject).toBe('Order 5F0C1D2E confirmed');
    const shipped = render('shipped', data);
    expect(shipped.text).toContain('with UPS, tracking number 1Z999AA10123456784');
    expect(shipped.text).toContain('Track your parcel: https://track.example.com/1Z999AA10123456784');
    expect(shipped.html).toContain('<a href="https://track.example.com/1Z999AA10123456784">Track your parcel</a>');
    expect(render('out_for_delivery', data).sms).toBe('Order 5F0C1D2E is out for delivery today. Track: https://track.example.com/1Z999AA10123456784');
    expect(render('delivered', data).subject).toBe('Order 5F0C1D2E was delivered');
  });

  it('a reason given (why a payment failed, why an order was cancelled) is told to the customer', () => {
    expect(render('payment_failed', { ...data, reason: 'insufficient funds' }).text).toContain('(insufficient funds)');
    expect(render('order_cancelled', { ...data, reason: 'requested by the customer' }).text).toContain('cancelled (requested by the customer)');
  });

  it('the abandoned-cart reminder needs no order and points back to the cart', () => {
    const m = render('abandoned_cart', { ...data, orderId: '', shipment: undefined, link: 'https://shop.example.com/cart' });
    expect(m.subject).toBe('You left something in your cart');
    expect(m.text).toContain('your cart ($49.00) is still waiting');
    expect(m.text).toContain('Back to your cart: https://shop.example.com/cart');
  });

  it('the confirmation without a link keeps its original layout (intro, items, total)', () => {
    const m = render('order_confirmed', { ...data, customerName: 'Ada' });
    expect(m.text).toBe('Thank you, Ada. We have your order 5F0C1D2E ($49.00) and are getting it ready.\n\n2 x Mug (White)\n1 x Tee (M)\n\nTotal: $49.00\n');
  });
});

describe('phone numbers', () => {
  it.each(['+447700900123', '+15005550006', '+861012345678'])('%s is E.164', (phone) => expect(isE164(phone)).toBe(true));
  it.each(['07700 900123', '+44 7700 900123', '447700900123', '+0447700900123', '+1234567890123456', '+1(500)5550006', ''])(
    '"%s" is not', (phone) => expect(isE164(phone)).toBe(false));
});

describe('account messages', () => {
  it.each(ACCOUNT_TEMPLATES)('%s carries its one-time link, how long it works, and escapes the name in the HTML', (template) => {
    const m = renderAccountMessage(template, { customerName: 'Ada <Lovelace>', link: 'https://shop.example.com/account/x#token=abc', validFor: '1 hour' });
    expect(m.text).toContain('https://shop.example.com/account/x#token=abc');
    expect(m.text).toContain('for 1 hour');
    expect(m.html).toContain('<a href="https://shop.example.com/account/x#token=abc">');
    expect(m.html).toContain('Ada &#60;Lovelace&#62;');
  });

  it('says how long a link works in the largest whole unit', () => {
    expect([describeDuration(3_600_000), describeDuration(86_400_000), describeDuration(90 * 60_000), describeDuration(15 * 60_000)])
      .toEqual(['1 hour', '1 day', '90 minutes', '15 minutes']);
  });
});
