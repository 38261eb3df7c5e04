/**
 * The worker's own metrics, exported next to the Temporal SDK's (`temporal_*`) by the SDK's
 * Prometheus exporter on WORKER_METRICS_PORT (see installWorkerRuntime): one scrape target per
 * worker. Both counters are observed around each activity by an interceptor, so no activity
 * carries metrics code:
 *
 * - `commerce_activity_failures{activity_type, failure_type, retryable}`: every failed attempt,
 *   by the ApplicationFailure type the activity threw (activities/errors.ts), e.g. out_of_stock.
 * - `commerce_order_status_changes{status}`: confirmed, awaiting_fulfillment, failed, cancelled …,
 *   counted when setOrderStatus has written the status. The workflow decides the status, but only
 *   the activity's completion is observable outside it; an attempt whose completion is lost and is
 *   retried counts twice, so read it as a rate, not as a ledger (the orders table is the ledger).
 */
import type { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure, type MetricCounter } from '@temporalio/common';
import { Runtime, type ActivityInterceptors } from '@temporalio/worker';
import type { Activities } from '../activities';

interface WorkerMetrics {
  activityFailures: MetricCounter;
  orderStatusChanges: MetricCounter;
}

let metrics: WorkerMetrics | undefined;

/** Created on first use: the runtime (and its exporter) must be installed before. */
function workerMetrics(): WorkerMetrics {
  const meter = Runtime.instance().metricMeter;
  metrics ??= {
    activityFailures: meter.createCounter('commerce_activity_failures', '1', 'Failed activity attempts, by activity and failure type'),
    orderStatusChanges: meter.createCounter('commerce_order_status_changes', '1', 'Order statuses written by setOrderStatus, by status'),
  };
  return metrics;
}

export function activityMetricsInterceptor(ctx: Context): ActivityInterceptors {
  const { activityType, taskQueue, namespace } = ctx.info;
  return {
    inbound: {
      async execute(input, next) {
        try {
          const result = await next(input);
          if (activityType === 'setOrderStatus') {
            const [, status] = input.args as Parameters<Activities['setOrderStatus']>;
            workerMetrics().orderStatusChanges.add(1, { status, task_queue: taskQueue, namespace });
          }
          return result;
        } catch (err) {
          workerMetrics().activityFailures.add(1, { activity_type: activityType, ...classify(err), task_queue: taskQueue, namespace });
          throw err;
        }
      },
    },
  };
}

function classify(err: unknown): { failure_type: string; retryable: string } {
  if (err instanceof ApplicationFailure) return { failure_type: err.type ?? 'ApplicationFailure', retryable: String(!err.nonRetryable) };
  if (err instanceof CancelledFailure) return { failure_type: 'cancelled', retryable: 'false' };
  return { failure_type: err instanceof Error ? err.constructor.name : typeof err, retryable: 'true' };
}
