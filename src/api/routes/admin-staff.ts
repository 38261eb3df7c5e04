/**
 * Staff accounts and their keys, for admins: create an account (its first key comes back once),
 * change its roles or disable it, issue another key, revoke one. The same as `npm run staff`
 * (src/cli/staff.ts); every change is audited with the admin who made it.
 */
import { z } from 'zod';
import { DomainError, ErrorCode } from '../../domain/errors';
import { checkStaffName, parseRoles, STAFF_NAME, STAFF_ROLES } from '../../domain/staff';
import {
  createStaffAccount, issueStaffKey, revokeStaffKey, staffAccount, staffAccounts, updateStaffAccount,
  type StaffAccountRow, type StaffAccountWithKeys, type StaffKeyRow,
} from '../../store/staff';
import { staffOf } from '../access';
import { emOf } from '../context';
import { route } from '../http';

const iso = (v: string | null) => (v ? new Date(v).toISOString() : null);

const keyView = z.object({
  id: z.uuid(), hint: z.string().meta({ description: 'The key\'s first characters, e.g. staff_AbC12x…; the key itself is never shown again.' }),
  label: z.string(), createdAt: z.string(), lastUsedAt: z.string().nullable().meta({ description: 'Recorded at most once a minute.' }),
  revokedAt: z.string().nullable(),
}).meta({ id: 'StaffKey' });

const accountView = z.object({
  id: z.uuid(), name: z.string(), roles: z.array(z.enum(STAFF_ROLES)), createdAt: z.string(), disabledAt: z.string().nullable(),
  keys: z.array(keyView),
}).meta({ id: 'StaffAccount' });

const issuedKey = z.string().meta({ description: 'The new key, shown this once: hand it to its owner, who sends it as "Authorization: Bearer staff_…".' });

export const keyOf = (k: StaffKeyRow) => ({ id: k.id, hint: k.hint, label: k.label, createdAt: iso(k.created_at)!, lastUsedAt: iso(k.last_used_at),
  revokedAt: iso(k.revoked_at) });
export const accountOf = (a: StaffAccountRow, keys: StaffKeyRow[] = []) => ({ id: a.id, name: a.name, roles: a.roles, createdAt: iso(a.created_at)!,
  disabledAt: iso(a.disabled_at), keys: keys.map(keyOf) });

// Checked by parseRoles (its refusal names the roles there are); the document lists them.
const roles = z.array(z.string()).min(1).max(STAFF_ROLES.length)
  .meta({ description: `One or more of ${STAFF_ROLES.join(', ')}.`, override: { items: { type: 'string', enum: [...STAFF_ROLES] } } });
const label = z.string().trim().max(100).meta({ description: 'What the key is for, e.g. "laptop" or "packing station 2".' });
const params = z.strictObject({ id: z.string().min(1).max(64).meta({ description: 'The account\'s id or name.' }) });
const admin = { tag: 'staff', access: { staff: ['admin'] } } as const;
const noAccount = { 404: { description: 'No such staff account (not_found)' } };

export function adminStaffRoutes() {
  return [...accountRoutes(), ...keyRoutes()];
}

const accountRoutes = () => [
  route({
    ...admin, method: 'get', path: '/admin/staff', summary: 'Every staff account, its roles and its keys (never the keys themselves)',
    responses: { 200: { description: 'By name', schema: z.object({ accounts: z.array(accountView) }) } },
    handler: async (ctx) => {
      ctx.body = { accounts: (await staffAccounts(emOf(ctx))).map((a) => accountOf(a, a.keys)) };
    },
  }),
  route({
    ...admin, method: 'post', path: '/admin/staff', summary: 'Create a staff account with its roles, and its first key (shown once)',
    // checkStaffName says what is wrong with a name; the document states the rule.
    body: z.strictObject({ name: z.string().meta({ override: { pattern: STAFF_NAME.source } }), roles, label: label.optional() }),
    responses: { 201: { description: 'Created', schema: z.object({ account: accountView, key: issuedKey }) },
      409: { description: 'An account of that name exists (staff_name_taken)' } },
    handler: async (ctx, { body }) => {
      const { account, key, keyRow } = await createStaffAccount(emOf(ctx), { name: checkStaffName(body.name), roles: parseRoles(body.roles),
        label: body.label }, { by: staffOf(ctx), via: 'api' });
      ctx.status = 201;
      ctx.body = { account: accountOf(account, [keyRow]), key };
    },
  }),
  route({
    ...admin, method: 'get', path: '/admin/staff/:id', summary: 'One staff account, its roles and its keys', params,
    responses: { 200: { description: 'The account', schema: accountView }, ...noAccount },
    handler: async (ctx, { params }) => {
      const account = found(await staffAccount(emOf(ctx), params.id), params.id);
      ctx.body = accountOf(account, account.keys);
    },
  }),
  route({
    ...admin, method: 'patch', path: '/admin/staff/:id', params,
    summary: 'Change an account\'s roles, or disable it (its keys stop working at once) or enable it again',
    body: z.strictObject({ roles: roles.optional(), disabled: z.boolean().optional() })
      .refine((b) => b.roles !== undefined || b.disabled !== undefined, 'give roles, disabled, or both')
      .meta({ override: { minProperties: 1 } }), // the refinement, in the document
    responses: { 200: { description: 'The account after the change', schema: accountView }, ...noAccount },
    handler: async (ctx, { params, body }) => {
      const em = emOf(ctx);
      const { id } = found(await staffAccount(em, params.id), params.id);
      await updateStaffAccount(em, id, { roles: body.roles && parseRoles(body.roles), disabled: body.disabled }, { by: staffOf(ctx), via: 'api' });
      const after = (await staffAccount(em, id))!;
      ctx.body = accountOf(after, after.keys);
    },
  }),
];

const keyRoutes = () => [
  route({
    ...admin, method: 'post', path: '/admin/staff/:id/keys', summary: 'Issue another key to an account (a new device, or before revoking an old key)',
    params, body: z.strictObject({ label: label.optional() }).optional().default({}),
    responses: { 201: { description: 'Issued', schema: z.object({ key: issuedKey, keyInfo: keyView }) }, ...noAccount,
      409: { description: 'The account is disabled (action_refused)' } },
    handler: async (ctx, { params, body }) => {
      const em = emOf(ctx);
      const account = found(await staffAccount(em, params.id), params.id);
      const issued = await issueStaffKey(em, account.id, body.label ?? '', { by: staffOf(ctx), via: 'api' });
      if (!issued) throw new DomainError(ErrorCode.ActionRefused, `staff:${account.name} is disabled: enable the account before issuing it a key.`);
      ctx.status = 201;
      ctx.body = { key: issued.key, keyInfo: keyOf(issued.keyRow) };
    },
  }),
  route({
    ...admin, method: 'delete', path: '/admin/staff/:id/keys/:keyId', summary: 'Revoke a key: the next request with it answers 401',
    params: params.extend({ keyId: z.uuid() }),
    responses: { 200: { description: 'Revoked', schema: keyView }, 404: { description: 'No such account, or no live key of it with that id (not_found)' } },
    handler: async (ctx, { params }) => {
      const em = emOf(ctx);
      const account = found(await staffAccount(em, params.id), params.id);
      const revoked = await revokeStaffKey(em, account.id, params.keyId, { by: staffOf(ctx), via: 'api' });
      if (!revoked) {
        throw new DomainError(ErrorCode.NotFound, `staff:${account.name} has no live key ${params.keyId} (revoked already, or another account's).`,
          { keyId: params.keyId });
      }
      ctx.body = keyOf(revoked);
    },
  }),
];

function found(account: StaffAccountWithKeys | undefined, idOrName: string): StaffAccountWithKeys {
  if (!account) throw new DomainError(ErrorCode.NotFound, `There is no staff account ${idOrName}.`, { id: idOrName });
  return account;
}
