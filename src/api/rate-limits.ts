/**
 * Abuse limits: how often one address, customer, cart or account may do something, counted in
 * PostgreSQL so every API replica sees the same counts (src/store/rate-limits.ts). Each policy has
 * a limit per dimension, from the configuration (RATE_LIMIT_*, docs/configuration.md):
 *
 * - cartCreation: POST /carts, per client address (and per signed-in customer, once requests carry a customer session).
 * - checkout: new orders (POST /carts/:id/checkout; a replay of an Idempotency-Key is not one), per
 *   address and per customer (the cart's owner).
 * - declines: declined payments, per cart, customer and address. Checkout is refused while any of
 *   them is used up (card testing: one card after another on the same cart). A decline counts once
 *   per order (orders.decline_counted_at), wherever the API learns of it: the checkout's answer,
 *   its replay, or a 3-D Secure failure arriving later by webhook (that one counts per cart and
 *   customer: the address of the customer's browser is not kept with the order).
 * - signIn, passwordReset: per account (the e-mail address, lower-cased, whether or not it has an
 *   account) and per address: every attempt of POST /auth/sign-in and POST /auth/password-reset
 *   counts; a successful sign-in forgets its account's count (src/api/routes/accounts.ts).
 *
 * Refused: 429 rate_limited in the one error shape, with Retry-After in seconds; nothing is written.
 */
import { isIPv4 } from 'node:net';
import type { Context, Middleware } from 'koa';
import type { EntityManager, MikroORM } from '@mikro-orm/postgresql';
import { parseRateLimit, type Config } from '../config';
import { DomainError, ErrorCode } from '../domain/errors';
import { markDeclineCounted } from '../store/orders';
import { rateCounter, type Counter, type LimitSpec, type Tally } from '../store/rate-limits';

export const POLICIES = {
  cartCreation: ['ip', 'customer'],
  checkout: ['ip', 'customer'],
  declines: ['cart', 'customer', 'ip'],
  signIn: ['account', 'ip'],
  passwordReset: ['account', 'ip'],
} as const;

export type PolicyName = keyof typeof POLICIES;
type DimensionOf<P extends PolicyName> = (typeof POLICIES)[P][number];
export type LimitSettings = { [P in PolicyName]?: Partial<Record<DimensionOf<P>, LimitSpec>> };
export type LimitKeys<P extends PolicyName> = Partial<Record<DimensionOf<P>, string | undefined>>;

/** The words of a 429: what was limited, by what. */
const WHAT: Record<PolicyName, string> = {
  cartCreation: 'new carts', checkout: 'checkouts', declines: 'declined payments', signIn: 'sign-in attempts', passwordReset: 'password reset requests',
};
const PER: Record<string, string> = { ip: 'from this address', customer: 'for this customer', cart: 'on this cart', account: 'for this account' };

type RateLimitVariable = Extract<keyof Config, `RATE_LIMIT_${string}`>;
const VARIABLES: { [P in PolicyName]: Record<DimensionOf<P>, RateLimitVariable> } = {
  cartCreation: { ip: 'RATE_LIMIT_CARTS_PER_IP', customer: 'RATE_LIMIT_CARTS_PER_CUSTOMER' },
  checkout: { ip: 'RATE_LIMIT_CHECKOUTS_PER_IP', customer: 'RATE_LIMIT_CHECKOUTS_PER_CUSTOMER' },
  declines: { cart: 'RATE_LIMIT_DECLINES_PER_CART', customer: 'RATE_LIMIT_DECLINES_PER_CUSTOMER', ip: 'RATE_LIMIT_DECLINES_PER_IP' },
  signIn: { account: 'RATE_LIMIT_SIGN_INS_PER_ACCOUNT', ip: 'RATE_LIMIT_SIGN_INS_PER_IP' },
  passwordReset: { account: 'RATE_LIMIT_PASSWORD_RESETS_PER_ACCOUNT', ip: 'RATE_LIMIT_PASSWORD_RESETS_PER_IP' },
};

export function limitSettingsFromConfig(config: Pick<Config, RateLimitVariable>): LimitSettings {
  const settings: Record<string, Record<string, LimitSpec>> = {};
  for (const [policy, dimensions] of Object.entries(VARIABLES)) {
    for (const [dimension, variable] of Object.entries(dimensions as Record<string, RateLimitVariable>)) {
      const spec = parseRateLimit(config[variable]);
      if (spec) (settings[policy] ??= {})[dimension] = spec;
    }
  }
  return settings as LimitSettings;
}

interface Applied { dimension: string; spec: LimitSpec; counter: Counter; key: string }

export class RateLimits {
  private readonly counters = new Map<string, Counter>();

  constructor(private readonly orm: MikroORM | undefined, private readonly settings: LimitSettings = {}) {}

  /** True when any limit of the policy is set (off ones cost nothing, not even a query). */
  enabled(policy: PolicyName): boolean {
    return Object.keys(this.settings[policy] ?? {}).length > 0;
  }

  /** Counts one attempt against each limit of the policy that has a key; refuses (429) when one is passed. */
  async take<P extends PolicyName>(policy: P, keys: LimitKeys<P>): Promise<void> {
    const applied = this.applicable(policy, keys);
    refuseIfOver(policy, await Promise.all(applied.map(async (a) => ({ ...a, tally: await a.counter.count(a.key) }))));
  }

  /** Refuses (429) while any limit of the policy is used up, without counting. */
  async check<P extends PolicyName>(policy: P, keys: LimitKeys<P>): Promise<void> {
    const applied = this.applicable(policy, keys);
    refuseIfOver(policy, await Promise.all(applied.map(async (a) => ({ ...a, tally: await a.counter.peek(a.key) }))));
  }

  /** Counts one (a decline, a failed sign-in) without refusing. */
  async count<P extends PolicyName>(policy: P, keys: LimitKeys<P>): Promise<void> {
    await Promise.all(this.applicable(policy, keys).map((a) => a.counter.count(a.key)));
  }

  /** Forgets the counts (e.g. an account's failed sign-ins once it signs in). */
  async reset<P extends PolicyName>(policy: P, keys: LimitKeys<P>): Promise<void> {
    await Promise.all(this.applicable(policy, keys).map((a) => a.counter.reset(a.key)));
  }

  private applicable<P extends PolicyName>(policy: P, keys: LimitKeys<P>): Applied[] {
    const specs = (this.settings[policy] ?? {}) as Record<string, LimitSpec>;
    return Object.entries(specs).flatMap(([dimension, spec]) => {
      const key = (keys as Record<string, string | undefined>)[dimension];
      return key && this.orm ? [{ dimension, spec, counter: this.counter(`${policy}:${dimension}`, spec), key }] : [];
    });
  }

  private counter(name: string, spec: LimitSpec): Counter {
    let counter = this.counters.get(name);
    if (!counter) {
      // The first counter of the process also sweeps the table of long-expired rows.
      counter = rateCounter(this.orm!.em, name, spec, this.counters.size === 0);
      this.counters.set(name, counter);
    }
    return counter;
  }
}

function refuseIfOver(policy: PolicyName, tallies: (Applied & { tally: Tally })[]): void {
  const over = tallies.filter((t) => t.tally.over).sort((a, b) => b.tally.msBeforeReset - a.tally.msBeforeReset)[0];
  if (!over) return;
  const retryAfterSeconds = Math.max(1, Math.ceil(over.tally.msBeforeReset / 1000));
  throw new DomainError(ErrorCode.RateLimited,
    `Too many ${WHAT[policy]} ${PER[over.dimension]}: at most ${over.spec.points} per ${describeWindow(over.spec.windowSeconds)}. `
    + `Try again in ${describeWindow(retryAfterSeconds)}.`,
    { limit: policy, per: over.dimension, max: over.spec.points, windowSeconds: over.spec.windowSeconds, retryAfterSeconds });
}

/** A route's `before`: takes one attempt of the policy, keyed from the request. */
export function limited<P extends PolicyName>(limits: RateLimits, policy: P, keysOf: (ctx: Context) => Promise<LimitKeys<P>>): Middleware {
  return async (ctx, next) => {
    if (limits.enabled(policy)) await limits.take(policy, await keysOf(ctx));
    await next();
  };
}

/**
 * A decline the API has just learned of (the checkout's answer, a webhook): counted once per order
 * against its cart, its customer and, when known, the address the checkout came from.
 */
export async function countDecline(em: EntityManager, limits: RateLimits, orderId: string, ip?: string): Promise<void> {
  if (!limits.enabled('declines')) return;
  const order = await markDeclineCounted(em, orderId);
  if (order) await limits.count('declines', { cart: order.cart_id ?? undefined, customer: order.customer_id ?? undefined, ip });
}

/**
 * The client's address as a limit's key. Koa reads it from X-Forwarded-For only when the app trusts
 * that many proxies (TRUST_PROXY_HOPS: app.proxy and app.maxIpsCount, src/api/app.ts); otherwise it
 * is the peer's address, which a client cannot forge. IPv6 addresses count by their /64 network:
 * one subscriber commonly holds a whole /64.
 */
export function clientIp(ctx: Context): string {
  const ip = ctx.ip.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  if (isIPv4(ip) || !ip.includes(':')) return ip;
  const [head, tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = [...left, ...Array(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.toLowerCase().replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

function describeWindow(seconds: number): string {
  if (seconds % 86_400 === 0) return plural(seconds / 86_400, 'day');
  if (seconds % 3_600 === 0) return plural(seconds / 3_600, 'hour');
  if (seconds >= 60) return plural(Math.ceil(seconds / 60), 'minute');
  return plural(seconds, 'second');
}

const plural = (n: number, unit: string) => (n === 1 ? `1 ${unit}` : `${n} ${unit}s`);
