/**
 * Customer messages: each template rendered as plain text and HTML (e-mail) and in a short SMS
 * form that fits one message for ordinary orders. Pure functions: no I/O, no clock. Everything a
 * customer typed (their name, an address) is escaped in the HTML.
 */
import type { Breakdown } from './pricing';
import { formatMoney } from './money';

export const TEMPLATES = [
  'order_confirmed', 'payment_failed', 'order_cancelled',
  'shipped', 'out_for_delivery', 'delivered', 'shipment_exception', 'shipment_returned',
  'abandoned_cart',
] as const;
export type Template = (typeof TEMPLATES)[number];

export interface MessageData {
  /** The order the message is about; unused (may be '') for the abandoned-cart reminder. */
  orderId: string;
  customerName: string;
  total: { amount: number; currency: string };
  lines: { title: string; quantity: number }[];
  reason?: string;
  /** The parcel, for the shipping templates. */
  shipment?: { carrier: string; trackingNumber: string; trackingUrl?: string };
  /** Where the customer follows the order, or gets back to the cart. */
  link?: string;
  /** What the order cost, as it was at checkout: the confirmation shows it line by line. */
  breakdown?: Breakdown;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  sms: string;
}

/** One template's words; render() lays them out as text, HTML and SMS. */
interface Copy {
  subject: string;
  intro: string;
  sms: string;
  /** The call to action under the items, e.g. "Track your parcel" with its URL. */
  action?: { label: string; url: string };
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();
const because = (reason?: string) => (reason ? ` (${reason})` : '');

function copyOf(template: Template, d: MessageData, ref: string, total: string): Copy {
  const parcel = d.shipment;
  const track = parcel?.trackingUrl ? { label: 'Track your parcel', url: parcel.trackingUrl } : undefined;
  const follow = d.link ? { label: 'See your order', url: d.link } : undefined;
  switch (template) {
    case 'order_confirmed':
      return { subject: `Order ${ref} confirmed`, action: follow,
        intro: `Thank you, ${d.customerName}. We have your order ${ref} (${total}) and are getting it ready.`,
        sms: `Order ${ref} confirmed (${total}). We'll text you when it ships.` };
    case 'payment_failed':
      return { subject: `Payment for order ${ref} did not go through`, action: d.link ? { label: 'Back to your cart', url: d.link } : undefined,
        intro: `Hi ${d.customerName}, we could not take payment for order ${ref}${because(d.reason)}. Nothing was charged and your cart is still there: try another card.`,
        sms: `Payment for order ${ref} failed; nothing was charged. Your cart is kept for you.` };
    case 'order_cancelled':
      return { subject: `Order ${ref} cancelled`, action: follow,
        intro: `Hi ${d.customerName}, order ${ref} has been cancelled${because(d.reason)}. Any payment hold has been released or refunded.`,
        sms: `Order ${ref} cancelled; any payment was released or refunded.` };
    case 'shipped':
      return { subject: `Order ${ref} is on its way`, action: track ?? follow,
        intro: `Good news, ${d.customerName}: order ${ref} has shipped${parcel ? ` with ${parcel.carrier}, tracking number ${parcel.trackingNumber}` : ''}.`,
        sms: `Order ${ref} has shipped${parcel ? ` with ${parcel.carrier}. Tracking: ${parcel.trackingUrl ?? parcel.trackingNumber}` : '.'}` };
    case 'out_for_delivery':
      return { subject: `Order ${ref} is out for delivery`, action: track ?? follow,
        intro: `Hi ${d.customerName}, order ${ref} is out for delivery today${parcel ? ` with ${parcel.carrier}` : ''}. Someone may need to be in to receive it.`,
        sms: `Order ${ref} is out for delivery today.${parcel?.trackingUrl ? ` Track: ${parcel.trackingUrl}` : ''}` };
    case 'delivered':
      return { subject: `Order ${ref} was delivered`, action: follow,
        intro: `Hi ${d.customerName}, order ${ref} was delivered. We hope you enjoy it; if anything is wrong, just reply to this e-mail.`,
        sms: `Order ${ref} was delivered. Enjoy!` };
    case 'shipment_exception':
      return { subject: `A problem with the delivery of order ${ref}`, action: track ?? follow,
        intro: `Hi ${d.customerName}, the carrier reported a problem delivering order ${ref}${because(d.reason)}. We are on it and will keep you posted.`,
        sms: `The carrier reported a problem delivering order ${ref}. We're on it and will keep you posted.` };
    case 'shipment_returned':
      return { subject: `Order ${ref} could not be delivered`, action: follow,
        intro: `Hi ${d.customerName}, the carrier could not deliver order ${ref}${because(d.reason)} and is returning it to us. `
          + 'We will be in touch to send it again or refund you.',
        sms: `Order ${ref} could not be delivered and is coming back to us. We'll be in touch.` };
    case 'abandoned_cart':
      return { subject: 'You left something in your cart', action: d.link ? { label: 'Back to your cart', url: d.link } : undefined,
        intro: `Hi ${d.customerName}, your cart (${total}) is still waiting for you.`,
        sms: `Your cart (${total}) is still waiting for you.${d.link ? ` ${d.link}` : ''}` };
  }
}

export function render(template: Template, d: MessageData): Rendered {
  const ref = shortId(d.orderId);
  const total = formatMoney(d.total);
  const copy = copyOf(template, d, ref, total);
  const items = d.lines.map((l) => `${l.quantity} x ${l.title}`);
  const action = copy.action;
  const summary = template === 'order_confirmed' && d.breakdown ? summaryOf(d.breakdown) : [];
  const text = [copy.intro, items.join('\n'), summary.join('\n'), `Total: ${total}`, action ? `${action.label}: ${action.url}` : '']
    .filter(Boolean).join('\n\n') + '\n';
  const html = [
    `<p>${escape(copy.intro)}</p>`,
    items.length ? `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>` : '',
    summary.length ? `<p>${summary.map(escape).join('<br>')}</p>` : '',
    `<p><strong>Total: ${escape(total)}</strong></p>`,
    action ? `<p><a href="${escape(action.url)}">${escape(action.label)}</a></p>` : '',
  ].join('');
  return { subject: copy.subject, text, html, sms: copy.sms };
}

/** Subtotal, each discount, shipping and each tax, one line each, as the order was priced (src/domain/pricing.ts). */
function summaryOf(b: Breakdown): string[] {
  const m = (amount: number) => formatMoney({ amount, currency: b.currency });
  return [
    `Subtotal: ${m(b.subtotal)}`,
    ...b.discounts.map((d) => `${d.code ? `Code ${d.code}` : d.name}: -${m(d.amount)}`),
    ...(b.shipping ? [`Shipping (${b.shipping.name}): ${m(b.shipping.amount)}`] : []),
    ...b.taxes.map((t) => `${b.pricesIncludeTax ? 'Including ' : ''}${t.name}: ${m(t.amount)}`),
  ];
}

/** Messages about the customer's account rather than an order: each carries a one-time link. */
export const ACCOUNT_TEMPLATES = ['verify_email', 'password_reset'] as const;
export type AccountTemplate = (typeof ACCOUNT_TEMPLATES)[number];

export interface AccountMessageData {
  /** May be empty: a customer need not give a name. */
  customerName: string;
  /** The one-time link: it works once, until `validFor` has passed. */
  link: string;
  /** How long the link works, in words: "1 hour", "24 hours". */
  validFor: string;
}

function accountCopyOf(template: AccountTemplate, d: AccountMessageData): Omit<Copy, 'sms'> {
  const hi = d.customerName ? `Hi ${d.customerName}` : 'Hello';
  switch (template) {
    case 'verify_email':
      return { subject: 'Confirm your e-mail address', action: { label: 'Confirm your e-mail address', url: d.link },
        intro: `${hi}, please confirm that this address is yours by opening the link below. It works once, for ${d.validFor}. `
          + 'Orders you placed with this address will then appear in your account. If you did not sign up, ignore this e-mail.' };
    case 'password_reset':
      return { subject: 'Reset your password', action: { label: 'Choose a new password', url: d.link },
        intro: `${hi}, someone (we hope you) asked to reset the password of your account. Open the link below to choose a new one; `
          + `it works once, for ${d.validFor}, and signs you out everywhere. If it was not you, ignore this e-mail: your password stays as it is.` };
  }
}

/** An account message as text and HTML (e-mail only: a one-time link is never sent by SMS). */
export function renderAccountMessage(template: AccountTemplate, d: AccountMessageData): Omit<Rendered, 'sms'> {
  const copy = accountCopyOf(template, d);
  const action = copy.action as { label: string; url: string };
  return {
    subject: copy.subject,
    text: `${copy.intro}\n\n${action.label}: ${action.url}\n`,
    html: `<p>${escape(copy.intro)}</p><p><a href="${escape(action.url)}">${escape(action.label)}</a></p>`,
  };
}

/** "1 hour", "90 minutes", "7 days": a whole number of the largest unit that divides the duration. */
export function describeDuration(ms: number): string {
  const units: [string, number][] = [['day', 86_400_000], ['hour', 3_600_000], ['minute', 60_000], ['second', 1000]];
  const [unit, size] = units.find(([, size]) => ms % size === 0 && ms >= size) ?? ['millisecond', 1];
  const n = ms / size;
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}
