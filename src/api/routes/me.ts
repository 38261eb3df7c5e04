/**
 * The signed-in customer's own account: their profile, e-mail address and password. Every route
 * here needs a live session (requireCustomer) and reaches only that customer's account.
 */
import { z } from 'zod';
import type { PasswordHasher } from '../../auth/passwords';
import type { AccountContext } from '../../accounts/context';
import { newLink, startAccountMessage } from '../../accounts/links';
import { changeOwnPassword, confirmCurrentPassword } from '../../accounts/passwords';
import { DomainError, ErrorCode } from '../../domain/errors';
import { customerById, issueAccountLink, updateAccount } from '../../store/customers';
import { customerOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';
import { customerView, customerViewOf, email, newPassword, password } from '../account-schemas';
import { accountContext, WEAK_PASSWORD, type AccountDeps } from './accounts';

const queuedView = z.enum(['queued', 'not_queued']).meta({ description: 'Whether the e-mail with the confirmation link is on its way.' });

/** What every /me route declares: a signed-in customer only. */
export const signedInOnly = { tag: 'me', access: 'customer' as const };

const WRONG_PASSWORD = { 403: { description: 'The current password given is wrong (current_password_wrong); the session itself is fine' } };

export function meRoutes(deps: AccountDeps, hasher: PasswordHasher) {
  const me = signedInOnly;
  return [
    route({
      ...me, method: 'get', path: '/me',
      summary: 'The signed-in customer\'s account',
      responses: { 200: { description: 'The account', schema: customerView } },
      handler: async (ctx) => {
        ctx.body = customerViewOf((await customerById(emOf(ctx), customerOf(ctx).customerId))!);
      },
    }),
    route({
      ...me, method: 'patch', path: '/me',
      summary: 'Change the name, the marketing choice or the e-mail address (a new address needs the current password, and is confirmed by e-mail)',
      body: z.strictObject({
        name: z.string().trim().max(200).optional(),
        marketingOptIn: z.boolean().optional(),
        email: email.optional(),
        currentPassword: password.optional().meta({ description: 'Required with a new e-mail address.' }),
      }),
      responses: { 200: { description: 'The account as changed', schema: customerView.extend({ verificationEmail: queuedView.optional() }) },
        ...WRONG_PASSWORD, 409: { description: 'The new address already has an account (email_taken)' } },
      handler: async (ctx, { body }) => {
        ctx.body = await changeProfile(accountContext(ctx, deps, hasher), customerOf(ctx).customerId, body);
      },
    }),
    route({
      ...me, method: 'post', path: '/me/password',
      summary: 'Change the password (the current one is needed); every other session of the account ends',
      body: z.strictObject({ currentPassword: password, newPassword }),
      responses: { 200: { description: 'Changed; how many other sessions ended', schema: z.object({ otherSessionsEnded: z.number().int() }) },
        ...WRONG_PASSWORD, ...WEAK_PASSWORD },
      handler: async (ctx, { body }) => {
        const ended = await changeOwnPassword(accountContext(ctx, deps, hasher), customerOf(ctx), body.currentPassword, body.newPassword);
        ctx.body = { otherSessionsEnded: ended };
      },
    }),
    route({
      ...me, method: 'post', path: '/me/email-verification',
      summary: 'E-mail a new link that confirms the account\'s address (the earlier ones still work until they expire)',
      responses: { 202: { description: 'A new link is on its way', schema: z.object({ verificationEmail: queuedView }) },
        409: { description: 'The address is already confirmed (email_already_verified)' } },
      handler: async (ctx) => {
        const a = accountContext(ctx, deps, hasher);
        const customer = (await customerById(a.em, customerOf(ctx).customerId))!;
        if (customer.email_verified_at !== null) {
          throw new DomainError(ErrorCode.EmailAlreadyVerified, `${customer.email} is already confirmed.`, { email: customer.email });
        }
        const { outboxId } = await issueAccountLink(a.em, customer.id, { ...newLink('verify_email', a.settings, customer.name), email: customer.email });
        const queued = await startAccountMessage(a.messages, { outboxId, template: 'verify_email', customerId: customer.id });
        ctx.status = 202;
        ctx.body = { verificationEmail: queued ? 'queued' : 'not_queued' };
      },
    }),
  ];
}

/**
 * The name and the marketing choice as given, and a new e-mail address once the current password is
 * confirmed, its confirmation link e-mailed; nothing is changed if anything is refused.
 */
async function changeProfile(a: AccountContext, customerId: string,
  body: { name?: string; marketingOptIn?: boolean; email?: string; currentPassword?: string }) {
  const current = (await customerById(a.em, customerId))!;
  const email = body.email !== undefined && body.email.toLowerCase() !== current.email.toLowerCase() ? body.email : undefined;
  if (email !== undefined) {
    if (body.currentPassword === undefined) throw passwordNeeded();
    await confirmCurrentPassword(a, customerId, body.currentPassword);
  }
  const { name, marketingOptIn } = body;
  const changed = await updateAccount(a.em, customerId, { name, marketingOptIn },
    email === undefined ? undefined : { email, link: newLink('verify_email', a.settings, name ?? current.name) });
  const queued = changed.outboxId && await startAccountMessage(a.messages, { outboxId: changed.outboxId, template: 'verify_email', customerId });
  return { ...customerViewOf(changed.customer), ...(changed.outboxId ? { verificationEmail: queued ? 'queued' : 'not_queued' } : {}) };
}

const passwordNeeded = () => new DomainError(ErrorCode.ValidationFailed, 'Invalid body: currentPassword: required to change the e-mail address.',
  { in: 'body', issues: [{ path: 'currentPassword', message: 'required to change the e-mail address', code: 'invalid_type' }] });
