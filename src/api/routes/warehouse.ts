/** Routes for warehouse staff: tell an order's fulfillment that its parcel is packed. */
import { z } from 'zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { DomainError, ErrorCode } from '../../domain/errors';
import { packedSignal } from '../../contracts/fulfillment';
import { workflowIds } from '../../contracts/temporal';
import type { AppDeps } from '../deps';
import { route } from '../http';
import { staffOf } from '../access';
import { actorOf } from '../../domain/staff';
import { orderId } from '../schemas';
import type { Logger } from '../../logger';

/** A signal is answered in milliseconds; past this the service is overloaded or away, and the warehouse is told to send it again. */
const SIGNAL_DEADLINE_MS = 5_000;

export function warehouseRoutes(deps: Pick<AppDeps, 'temporal'>) {
  return [
    route({
      method: 'post', path: '/warehouse/orders/:id/packed', tag: 'warehouse', access: { staff: ['warehouse'] },
      summary: 'The order is picked and packed: its fulfillment buys the label and dispatches it',
      params: z.strictObject({ id: orderId }),
      body: z.strictObject({
        packedBy: z.string().trim().min(1).max(100).optional()
          .meta({ description: 'Who packed it, when not the key\'s owner (a name or badge id at a shared packing station), for the timeline.' }),
        packages: z.number().int().min(1).max(50).default(1),
      }),
      responses: { 202: { description: 'Accepted: the fulfillment goes on', schema: z.object({ orderId, status: z.literal('packed') }) },
        404: { description: 'The order is not waiting in a warehouse: no such order, not paid yet, or already shipped (order_not_found)' },
        503: { description: 'The order service did not answer; sending it again is safe (a second "packed" changes nothing); see Retry-After' } },
      handler: async (ctx, { params, body }) => {
        const client = deps.temporal.client;
        if (!client) throw new DomainError(ErrorCode.ServiceUnavailable, 'Temporal is not reachable; try again in a moment.');
        // Who acted is the key's owner; a packer named in the body is noted beside them.
        const staff = actorOf(staffOf(ctx));
        const actor = body.packedBy && `staff:${body.packedBy}` !== staff ? `${staff} (packed by ${body.packedBy})` : staff;
        try {
          await client.withDeadline(Date.now() + SIGNAL_DEADLINE_MS, () =>
            client.workflow.getHandle(workflowIds.fulfillment(params.id)).signal(packedSignal, { actor, packages: body.packages }));
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) {
            (ctx.state.logger as Logger).error({ err, orderId: params.id }, 'packed signal not delivered; answered 503');
            throw new DomainError(ErrorCode.ServiceUnavailable, `The order service did not answer for order ${params.id}; send it again in a moment.`,
              { orderId: params.id });
          }
          throw new DomainError(ErrorCode.OrderNotFound,
            `Order ${params.id} is not waiting in a warehouse: it does not exist, is not paid yet, or has already shipped.`, { orderId: params.id });
        }
        ctx.status = 202;
        ctx.body = { orderId: params.id, status: 'packed' };
      },
    }),
  ];
}
