/**
 * A customer's data, for them and for staff (docs/privacy.md): the export of everything held about
 * them (GET /me/export; GET /admin/customers/:id/export for support and admins), and their erasure
 * (DELETE /me with the password; DELETE /admin/customers/:id for admins), which runs as the
 * `gdpr-erasure-<customerId>` workflow, and its status and an admin's decision while it waits.
 */
import type { Context } from 'koa';
import { z } from 'zod';
import type { PasswordHasher } from '../../auth/passwords';
import { confirmCurrentPassword } from '../../accounts/passwords';
import { actorOf } from '../../domain/staff';
import { customerNotFound, decideErasure, erasureStatus, startErasure } from '../../privacy/erasure';
import { customerExport } from '../../store/customer-export';
import { customerOf, staffOf } from '../access';
import { password } from '../account-schemas';
import { emOf } from '../context';
import { route } from '../http';
import { accountContext, type AccountDeps } from './accounts';

const customerParams = z.strictObject({ id: z.uuid() });
const exportView = z.object({ format: z.string(), exportedAt: z.string(), account: z.record(z.string(), z.unknown()) }).loose()
  .meta({ description: 'account, addresses, sessions, carts, orders (lines, payments, refunds, shipments and their events), messages, supportActions, erasure' });
const erasureView = z.object({
  workflowId: z.string().optional(),
  customerId: z.uuid(),
  stage: z.enum(['waiting_for_orders', 'erasing', 'erased', 'withdrawn']).optional(),
  waitingFor: z.array(z.uuid()).optional().meta({ description: 'The orders between payment and delivery the erasure waits for' }),
  rowsChanged: z.record(z.string(), z.number()).optional(),
});

const NO_CUSTOMER = { 404: { description: 'No such customer (customer_not_found)' } };
const NO_ERASURE = { 404: { description: 'No erasure of this customer is running or recorded in Temporal (erasure_not_found)' } };
const NO_TEMPORAL = { 503: { description: 'This server has no connection to Temporal (service_unavailable); nothing was changed' } };
const DECISION_ANSWERS = { 200: { description: 'The erasure\'s state after the decision', schema: erasureView },
  409: { description: 'It no longer waits, or the decision is refused (action_refused)' }, ...NO_ERASURE, ...NO_TEMPORAL };

async function sendExport(ctx: Context, customerId: string): Promise<void> {
  const document = await customerExport(emOf(ctx), customerId);
  if (!document) throw customerNotFound(customerId);
  ctx.set('Content-Disposition', `attachment; filename="customer-${customerId}.json"`);
  ctx.set('Cache-Control', 'no-store');
  ctx.body = document;
}

export function privacyRoutes(deps: AccountDeps, hasher: PasswordHasher) {
  const starter = () => ({ client: deps.temporal.client, taskQueue: deps.taskQueue });
  return [
    route({
      tag: 'me', access: 'customer', method: 'get', path: '/me/export',
      summary: 'Everything the shop holds about the signed-in customer, as one JSON document (GDPR access and portability)',
      responses: { 200: { description: 'The export', schema: exportView } },
      handler: async (ctx) => sendExport(ctx, customerOf(ctx).customerId),
    }),
    route({
      tag: 'me', access: 'customer', method: 'delete', path: '/me',
      summary: 'Close the account and erase the customer\'s personal data (once no order of theirs is between payment and delivery); needs the password',
      body: z.strictObject({ password }),
      responses: {
        202: { description: 'The account is closed now (every session ends); the erasure runs as a workflow', schema: erasureView },
        403: { description: 'The password is wrong (current_password_wrong); nothing was changed' }, ...NO_TEMPORAL,
      },
      handler: async (ctx, { body }) => {
        const { customerId } = customerOf(ctx);
        await confirmCurrentPassword(accountContext(ctx, deps, hasher), customerId, body.password);
        const { workflowId } = await startErasure(starter(), emOf(ctx), customerId, 'customer');
        ctx.status = 202;
        ctx.body = { workflowId, customerId, stage: 'waiting_for_orders' };
      },
    }),
    route({
      tag: 'privacy', access: { staff: ['support'] }, method: 'get', path: '/admin/customers/:id/export', params: customerParams,
      summary: 'Everything held about a customer, to answer their request made another way (a letter, a call)',
      responses: { 200: { description: 'The export', schema: exportView }, ...NO_CUSTOMER },
      handler: async (ctx, { params }) => sendExport(ctx, params.id),
    }),
    route({
      tag: 'privacy', access: { staff: ['admin'] }, method: 'delete', path: '/admin/customers/:id', params: customerParams,
      summary: 'Erase a customer (admins only): closes the account now, erases once no order of theirs is between payment and delivery',
      responses: { 202: { description: 'The erasure runs as a workflow', schema: erasureView }, ...NO_CUSTOMER, ...NO_TEMPORAL },
      handler: async (ctx, { params }) => {
        const { workflowId } = await startErasure(starter(), emOf(ctx), params.id, actorOf(staffOf(ctx)));
        ctx.status = 202;
        ctx.body = { workflowId, customerId: params.id, stage: 'waiting_for_orders' };
      },
    }),
    route({
      tag: 'privacy', access: { staff: ['support'] }, method: 'get', path: '/admin/customers/:id/erasure', params: customerParams,
      summary: 'Where a customer\'s erasure stands: waiting for orders (which), erased (rows changed), or withdrawn',
      responses: { 200: { description: 'The erasure\'s state', schema: erasureView }, ...NO_ERASURE, ...NO_TEMPORAL },
      handler: async (ctx, { params }) => {
        ctx.body = await erasureStatus(deps.temporal.client, params.id);
      },
    }),
    route({
      tag: 'privacy', access: { staff: ['admin'] }, method: 'post', path: '/admin/customers/:id/erasure/decision', params: customerParams,
      body: z.strictObject({ decision: z.enum(['erase_now', 'withdraw']) }),
      summary: 'While the erasure waits for an order: erase now (the order loses its contact details) or withdraw it (the account opens again)',
      responses: DECISION_ANSWERS,
      handler: async (ctx, { params, body }) => {
        ctx.body = await decideErasure(deps.temporal.client, params.id, { actor: actorOf(staffOf(ctx)), decision: body.decision });
      },
    }),
  ];
}
