/** Schemas of the customer account routes (src/api/routes/accounts.ts, me.ts, my-addresses.ts, my-orders.ts). */
import { z } from 'zod';
import type { SignedIn } from '../accounts/sign-in';
import type { CustomerRow } from '../store/customers';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../domain/passwords';
import { cartId, emailAddress, moneyView, orderId, shippingAddress, sku } from './schemas';

export const email = emailAddress;

/** Bounded in UTF-16 units so a request cannot hand the hash megabytes; the rules (src/domain/passwords.ts) count characters. */
const passwordText = z.string().max(PASSWORD_MAX_LENGTH * 4);

export const password = passwordText.min(1).meta({ description: 'The account\'s password.' });
export const newPassword = passwordText.meta({
  description: `${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters (counted after Unicode NFKC normalization), not one of the `
    + 'most common passwords and not the e-mail address; refused with 422 weak_password and the reason otherwise.',
});

export const linkToken = z.string().regex(/^[A-Za-z0-9_-]{20,128}$/, 'the token from the e-mailed link (after #token=)');

export const customerView = z.object({
  id: z.uuid(),
  email: z.string(),
  emailVerified: z.boolean().meta({ description: 'True once the address was confirmed by the e-mailed link; its guest orders then appear under /me/orders.' }),
  name: z.string(),
  marketingOptIn: z.boolean(),
  createdAt: z.string(),
}).meta({ id: 'Customer' });

export const sessionView = z.object({
  token: z.string().meta({ description: 'Shown once: send it as "Authorization: Bearer <token>". Begins with sess_.' }),
  expiresAt: z.string().meta({ description: 'The latest the session lasts (SESSION_MAX_AGE after sign-in).' }),
  idleTimeoutSeconds: z.number().int().meta({ description: 'The session also ends when unused this long (SESSION_IDLE_TIMEOUT).' }),
}).meta({ id: 'Session' });

const mergedLine = z.object({
  sku, requested: z.number().int(), added: z.number().int(), quantity: z.number().int().meta({ description: 'The line in the customer\'s cart afterwards.' }),
  shortfall: z.enum(['insufficient_stock', 'cart_too_large', 'currency_mismatch']).optional()
    .meta({ description: 'Why less than requested was added: stock, the limits of a cart, or a cart in another currency.' }),
});

export const signedInView = z.object({
  customer: customerView,
  session: sessionView,
  cart: z.object({
    id: cartId.nullable().meta({ description: 'The customer\'s open cart after signing in, if they have one.' }),
    merge: z.object({
      guestCartId: z.string(),
      outcome: z.enum(['adopted', 'merged', 'already_yours', 'not_found', 'not_active']).meta({
        description: 'adopted: it became the customer\'s cart; merged: its lines went into the customer\'s open cart and it is closed; '
          + 'not_found / not_active: nothing was done with it.' }),
      lines: z.array(mergedLine),
    }).optional().meta({ description: 'Present when a guest cart was sent along.' }),
  }),
}).meta({ id: 'SignedIn' });

export const addressView = shippingAddress.extend({
  id: z.uuid(),
  isDefault: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
}).meta({ id: 'SavedAddress' });

export const orderSummaryView = z.object({
  id: orderId,
  status: z.string(),
  total: moneyView,
  itemCount: z.number().int(),
  createdAt: z.string(),
  links: z.object({ self: z.string(), shipments: z.string() }),
}).meta({ id: 'OrderSummary' });

export function customerViewOf(c: CustomerRow): z.infer<typeof customerView> {
  return { id: c.id, email: c.email, emailVerified: c.email_verified_at !== null, name: c.name, marketingOptIn: c.marketing_opt_in,
    createdAt: new Date(c.created_at).toISOString() };
}

export function signedInViewOf(s: SignedIn, sessionIdleMs: number, guestCartId?: string): z.infer<typeof signedInView> {
  return {
    customer: customerViewOf(s.customer),
    session: { token: s.session.token, expiresAt: s.session.expiresAt, idleTimeoutSeconds: Math.round(sessionIdleMs / 1000) },
    cart: { id: s.openCartId, ...(s.cart && guestCartId ? { merge: { guestCartId, outcome: s.cart.outcome, lines: s.cart.lines } } : {}) },
  };
}
