/** Customer messages: plain text, HTML and a short SMS form of each template. Pure functions. */
import { formatMoney } from './money';

export const TEMPLATES = ['order_confirmed', 'payment_failed', 'order_cancelled', 'out_for_delivery', 'delivered', 'shipment_exception', 'abandoned_cart'] as const;
export type Template = (typeof TEMPLATES)[number];

export interface MessageData {
  orderId: string;
  customerName: string;
  total: { amount: number; currency: string };
  lines: { title: string; quantity: number }[];
  reason?: string;
}

export interface Rendered {
  subject: string;
  text: string;
  html: string;
  sms: string;
}

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const shortId = (orderId: string) => orderId.slice(0, 8).toUpperCase();

export function render(template: Template, d: MessageData): Rendered {
  const ref = shortId(d.orderId);
  const total = formatMoney(d.total);
  const items = d.lines.map((l) => `${l.quantity} x ${l.title}`);
  const [subject, intro, sms] = ((): [string, string, string] => {
    switch (template) {
      case 'order_confirmed':
        return [`Order ${ref} confirmed`, `Thank you, ${d.customerName}. We have your order ${ref} (${total}) and are getting it ready.`,
          `Order ${ref} confirmed (${total}). We'll text you when it ships.`];
      case 'payment_failed':
        return [`Payment for order ${ref} did not go through`,
          `Hi ${d.customerName}, we could not take payment for order ${ref}${d.reason ? ` (${d.reason})` : ''}. Nothing was charged and your cart is still there: try another card.`,
          `Payment for order ${ref} failed; nothing was charged. Your cart is kept for you.`];
      case 'order_cancelled':
        return [`Order ${ref} cancelled`,
          `Hi ${d.customerName}, order ${ref} has been cancelled${d.reason ? ` (${d.reason})` : ''}. Any payment hold has been released or refunded.`,
          `Order ${ref} cancelled; any payment was released or refunded.`];
      case 'out_for_delivery':
        return [`Order ${ref} is out for delivery`, `Hi ${d.customerName}, your order ${ref} is out for delivery and should reach you today.`,
          `Order ${ref} is out for delivery and should reach you today.`];
      case 'delivered':
        return [`Order ${ref} delivered`, `Hi ${d.customerName}, your order ${ref} has been delivered${d.reason ? ` (${d.reason})` : ''}. Enjoy it!`,
          `Order ${ref} has been delivered.`];
      case 'shipment_exception':
        return [`A delivery problem with order ${ref}`,
          `Hi ${d.customerName}, the carrier reported a problem delivering order ${ref}${d.reason ? ` (${d.reason})` : ''}. We are following it up and will tell you when it moves again.`,
          `The carrier reported a problem delivering order ${ref}; we are following it up.`];
      case 'abandoned_cart':
        // A cart, not an order: no order reference; sent at most once per cart, only to customers who opted in.
        return ['You left something in your cart', `Hi ${d.customerName}, your cart is still waiting for you (${total}). It is kept for a few more days.`,
          `Your cart (${total}) is still waiting for you.`];
    }
  })();
  const text = `${intro}\n\n${items.join('\n')}\n\nTotal: ${total}\n`;
  const html = `<p>${escape(intro)}</p><ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul><p><strong>Total: ${escape(total)}</strong></p>`;
  return { subject, text, html, sms };
}
