/**
 * Customer accounts: sign up, sign in, sign out, confirm the e-mail address, reset a forgotten
 * password. The processes are in src/accounts/; these routes validate, call them and answer.
 */
import { z } from 'zod';
import type { Context } from 'koa';
import type { PasswordHasher } from '../../auth/passwords';
import type { AccountContext } from '../../accounts/context';
import { confirmPasswordReset, requestPasswordReset } from '../../accounts/passwords';
import { signIn, signUp } from '../../accounts/sign-in';
import { sha256Hex } from '../../auth/tokens';
import type { Logger } from '../../logger';
import { verifyEmail } from '../../store/customers';
import { revokeSession, revokeSessionsOf } from '../../store/sessions';
import type { AppDeps } from '../deps';
import { customerOf } from '../access';
import { emOf } from '../context';
import { clientIp, limited } from '../rate-limits';
import { route } from '../http';
import { cartId } from '../schemas';
import { email, linkToken, newPassword, password, signedInView, signedInViewOf } from '../account-schemas';

export type AccountDeps = Pick<AppDeps, 'accounts' | 'temporal' | 'taskQueue' | 'limits'>;

/** The account processes' view of this request: its EntityManager, the hasher, the settings, and how to start an e-mail's workflow. */
export function accountContext(ctx: Context, deps: AccountDeps, hasher: PasswordHasher): AccountContext {
  return { em: emOf(ctx), hasher, settings: deps.accounts,
    messages: { client: deps.temporal.client, taskQueue: deps.taskQueue, log: ctx.state.logger as Logger } };
}

/**
 * A sign-in's or a reset request's limit keys: the account as the e-mail address sent (lower-cased,
 * whether or not it has an account, so a limit tells nothing of that) and the client's address. Read
 * before the body is validated: an invalid one is refused right after, but counts all the same.
 */
async function limitKeys(ctx: Context): Promise<{ account?: string; ip: string }> {
  const sent = (ctx.request as { body?: { email?: unknown } }).body?.email;
  return { account: typeof sent === 'string' ? sent.trim().toLowerCase().slice(0, 254) : undefined, ip: clientIp(ctx) };
}

const guestCart = cartId.optional().meta({ description: 'A guest cart to bring into the account: adopted, or merged into the customer\'s open cart.' });

/** Sign-up, sign-in, sign-out; then the routes a one-time e-mailed link leads to, and the request for a password-reset link. */
export function accountRoutes(deps: AccountDeps, hasher: PasswordHasher) {
  const account = (ctx: Context) => accountContext(ctx, deps, hasher);
  return [...signInRoutes(deps, account), ...linkRoutes(deps, account)];
}

/** What an account route may refuse a new password or an e-mailed link with (src/domain/passwords.ts, src/store/customers.ts). */
export const WEAK_PASSWORD = { 422: { description: 'The new password is too short, too long or too common (weak_password); the reason is in details' } };
const INVALID_LINK = { 400: { description: 'Bad input, or a link token that is unknown, used or expired (validation_failed, invalid_link)' } };

function signInRoutes(deps: AccountDeps, account: (ctx: Context) => AccountContext) {
  return [
    route({
      method: 'post', path: '/auth/sign-up', tag: 'accounts', access: 'public',
      summary: 'Create an account and sign in; an e-mail with a one-time link confirms the address',
      body: z.strictObject({ email, password: newPassword, name: z.string().trim().max(200).default(''), marketingOptIn: z.boolean().default(false),
        cartId: guestCart }),
      responses: { 201: { description: 'Signed in; `verificationEmail` says whether the confirmation e-mail is on its way', schema: signedInView.extend({
        verificationEmail: z.enum(['queued', 'not_queued']).meta({ description: 'not_queued: ask again with POST /me/email-verification.' }) }) },
        409: { description: 'This address already has an account: sign in, or reset the password (email_taken)' }, ...WEAK_PASSWORD },
      handler: async (ctx, { body }) => {
        const done = await signUp(account(ctx), { ...body, userAgent: ctx.get('User-Agent') || undefined });
        ctx.status = 201;
        ctx.set('Location', '/me');
        ctx.body = { ...signedInViewOf(done, deps.accounts.sessionIdleMs, body.cartId), verificationEmail: done.verificationEmail };
      },
    }),
    route({
      method: 'post', path: '/auth/sign-in', tag: 'accounts', access: 'public',
      // Every attempt counts, per account and per address (RATE_LIMIT_SIGN_INS_*), whether the account exists or not.
      before: [limited(deps.limits, 'signIn', async (ctx) => limitKeys(ctx))],
      summary: 'Sign in with e-mail and password; answers a session token, and brings a guest cart along',
      body: z.strictObject({ email, password, cartId: guestCart }),
      responses: { 200: { description: 'Signed in', schema: signedInView },
        401: { description: 'The e-mail address and password do not match an account (invalid_credentials): the same answer either way' },
        429: { description: 'Too many sign-in attempts for this account or from this address; see Retry-After' } },
      handler: async (ctx, { body }) => {
        const done = await signIn(account(ctx), { ...body, userAgent: ctx.get('User-Agent') || undefined });
        // The owner got in: their earlier typos no longer hold the account back (the address keeps its count).
        await deps.limits.reset('signIn', { account: (await limitKeys(ctx)).account });
        ctx.body = signedInViewOf(done, deps.accounts.sessionIdleMs, body.cartId);
      },
    }),
    route({
      method: 'post', path: '/auth/sign-out', tag: 'accounts', access: 'customer',
      summary: 'End this session, or every session of the account ("sign out everywhere")',
      body: z.strictObject({ everywhere: z.boolean().default(false) }).optional().default({ everywhere: false }),
      responses: { 200: { description: 'How many sessions ended', schema: z.object({ sessionsEnded: z.number().int() }) } },
      handler: async (ctx, { body }) => {
        const { customerId, sessionId } = customerOf(ctx);
        const em = emOf(ctx);
        ctx.body = { sessionsEnded: body.everywhere ? await revokeSessionsOf(em, customerId) : Number(await revokeSession(em, sessionId)) };
      },
    }),
  ];
}

function linkRoutes(deps: AccountDeps, account: (ctx: Context) => AccountContext) {
  return [
    route({
      method: 'post', path: '/auth/verify-email', tag: 'accounts', access: 'public',
      summary: 'Confirm the account\'s e-mail address with the token of the e-mailed link (works once); guest orders placed with it join the account',
      body: z.strictObject({ token: linkToken }),
      responses: { 200: { description: 'The address is confirmed', schema: z.object({ emailVerified: z.literal(true), ordersAdded: z.number().int() }) },
        ...INVALID_LINK },
      handler: async (ctx, { body }) => {
        const { ordersAdded } = await verifyEmail(emOf(ctx), sha256Hex(body.token));
        ctx.body = { emailVerified: true, ordersAdded };
      },
    }),
    route({
      method: 'post', path: '/auth/password-reset', tag: 'accounts', access: 'public',
      before: [limited(deps.limits, 'passwordReset', async (ctx) => limitKeys(ctx))],
      summary: 'E-mail a one-time link to choose a new password; answers the same whether or not the address has an account',
      body: z.strictObject({ email }),
      responses: { 202: { description: 'If the address has an account, a link is on its way', schema: z.object({ message: z.string() }) },
        429: { description: 'Too many reset requests for this account or from this address; see Retry-After' } },
      handler: async (ctx, { body }) => {
        await requestPasswordReset(account(ctx), body.email);
        ctx.status = 202;
        ctx.body = { message: 'If this address has an account, an e-mail with a link to choose a new password is on its way.' };
      },
    }),
    route({
      method: 'post', path: '/auth/password-reset/confirm', tag: 'accounts', access: 'public',
      summary: 'Choose a new password with the token of the e-mailed link (works once, until it expires); every session of the account ends',
      body: z.strictObject({ token: linkToken, password: newPassword }),
      responses: { 204: { description: 'The password is changed; sign in with it' }, ...INVALID_LINK, ...WEAK_PASSWORD },
      handler: async (ctx, { body }) => {
        await confirmPasswordReset(account(ctx), body.token, body.password);
        ctx.status = 204;
      },
    }),
  ];
}

