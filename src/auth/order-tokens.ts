/**
 * Order access tokens: what checkout gives a guest to read and cancel their order. One token per
 * order, the same on every replay of the checkout: it is derived, never stored. Each order keeps a
 * random 256-bit secret (orders.access_secret); its token is HMAC-SHA256, under a key from the
 * configuration (ORDER_TOKEN_KEY), of the order id and that secret. So:
 *   - a replay of the checkout (same Idempotency-Key and body) answers the same token, not a new one;
 *   - neither a leaked database (secrets without the key) nor a leaked configuration (the key without
 *     the secrets) yields a token;
 *   - support revokes an order's access by deleting its secret: the token is refused at once, like a
 *     wrong one, and no replay can mint another;
 *   - the key can be rotated: a new ORDER_TOKEN_KEY mints, the old one stays in ORDER_TOKEN_PREVIOUS_KEYS
 *     and still verifies the tokens given out under it.
 * Stored encrypted instead, a token would need the same key from the configuration and a decryption on
 * every request, for nothing more: a derived token has nothing to decrypt and nothing to leak.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** Only for development and tests (production refuses to start without ORDER_TOKEN_KEY: src/config.ts). */
export const DEVELOPMENT_ORDER_TOKEN_KEY = 'development-only-order-token-key-never-use-in-production';

export class OrderTokens {
  private readonly keys: Buffer[];

  /** `current` mints and verifies; `previous` (a rotation's old keys) only verify. */
  constructor(current: string = DEVELOPMENT_ORDER_TOKEN_KEY, previous: readonly string[] = []) {
    this.keys = [current, ...previous].map((k) => Buffer.from(k, 'utf8'));
  }

  /** The order's token (43 characters of base64url). */
  mint(orderId: string, secret: Buffer): string {
    return this.derive(this.keys[0], orderId, secret).toString('base64url');
  }

  /** Whether `presented` is the order's token under any configured key; compared in constant time, every key tried. */
  matches(orderId: string, secret: Buffer, presented: string): boolean {
    const given = Buffer.from(presented, 'utf8');
    let matched = false;
    for (const key of this.keys) {
      const expected = Buffer.from(this.derive(key, orderId, secret).toString('base64url'), 'utf8');
      if (expected.length === given.length && timingSafeEqual(expected, given)) matched = true;
    }
    return matched;
  }

  private derive(key: Buffer, orderId: string, secret: Buffer): Buffer {
    return createHmac('sha256', key).update(`order-access-token\n${orderId}\n`).update(secret).digest();
  }
}

/** The tokens of a configuration: ORDER_TOKEN_KEY (else the development key) and ORDER_TOKEN_PREVIOUS_KEYS. */
export function orderTokensFromConfig(c: { ORDER_TOKEN_KEY?: string; ORDER_TOKEN_PREVIOUS_KEYS?: string }): OrderTokens {
  const previous = (c.ORDER_TOKEN_PREVIOUS_KEYS ?? '').split(',').map((k) => k.trim()).filter((k) => k.length > 0);
  return new OrderTokens(c.ORDER_TOKEN_KEY, previous);
}
