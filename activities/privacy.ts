/**
 * The steps of a customer's erasure (workflows/gdpr-erasure.ts) and of the retention sweep
 * (workflows/privacy-retention.ts); what they change is in src/store/erasures.ts and retention.ts.
 * Each is idempotent: a retry after a worker dies mid-step finds the work done and changes nothing.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { ErrorCode } from '../src/domain/errors';
import type { RetentionInput, RetentionResult } from '../src/contracts/privacy';
import { erasePersonalData, ordersInFlight, recentOrdersOf, requestErasure, withdrawErasure } from '../src/store/erasures';
import { pruneDeliveryReports, pruneWebhookPayloads } from '../src/store/retention';
import type { ActivityDeps } from './deps';

/** Orders updated this recently may still have a running workflow (the after-sales window is 30 days by default). */
const OPEN_WORKFLOW_DAYS = 90;

export function privacyActivities({ orm, logger }: ActivityDeps) {
  return {
    /** Closes the account (no sign-in, sessions and links ended) and records the request. */
    async closeAccountForErasure(customerId: string, requestedBy: string): Promise<void> {
      if (!(await requestErasure(orm.em.fork(), customerId, requestedBy))) {
        throw ApplicationFailure.create({ type: ErrorCode.CustomerNotFound, message: `customer ${customerId} does not exist`, nonRetryable: true });
      }
    },
    async customerOrdersInFlight(customerId: string): Promise<string[]> {
      return ordersInFlight(orm.em.fork(), customerId);
    },
    async customerOrdersMaybeOpen(customerId: string): Promise<string[]> {
      return recentOrdersOf(orm.em.fork(), customerId, OPEN_WORKFLOW_DAYS);
    },
    async erasePersonalData(customerId: string, decidedBy?: string): Promise<Record<string, number>> {
      const rows = await erasePersonalData(orm.em.fork(), customerId, decidedBy);
      logger.info({ customerId, rows }, 'customer erased');
      return rows;
    },
    async withdrawErasure(customerId: string, by: string): Promise<void> {
      await withdrawErasure(orm.em.fork(), customerId, by);
    },
    /** Empties old webhook payloads and delivery reports' detail, a batch per transaction, heartbeating the counts so far. */
    async pruneProviderPayloads(input: RetentionInput): Promise<RetentionResult> {
      const done = (Context.current().info.heartbeatDetails as RetentionResult | undefined) ?? { webhookPayloads: 0, deliveryReports: 0 };
      for (let batch = 0; batch < input.maxBatches; batch++) {
        const webhooks = await pruneWebhookPayloads(orm.em.fork(), input.webhookPayloadMs, input.batchSize);
        const reports = await pruneDeliveryReports(orm.em.fork(), input.deliveryReportMs, input.batchSize);
        done.webhookPayloads += webhooks;
        done.deliveryReports += reports;
        Context.current().heartbeat(done);
        if (webhooks < input.batchSize && reports < input.batchSize) break;
      }
      if (done.webhookPayloads + done.deliveryReports > 0) logger.info(done, 'pruned provider payloads past their retention');
      return done;
    },
  };
}
