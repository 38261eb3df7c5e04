/**
 * The worker for customer messages: the `<queue>-notifications` task queue (commerce-notifications
 * by default), with only the message activities registered (order messages, abandoned-cart
 * reminders, account e-mails) and a task-queue-wide rate limit
 * (NOTIFICATIONS_PER_SECOND), so a burst of orders is smoothed out by Temporal instead of hitting
 * Twilio's or SendGrid's limits. The limit is enforced by the server across every worker polling
 * the queue, so it holds however many workers run. startWorker (workers/worker.ts) runs this one
 * beside the main worker, in the same process.
 */
import { Worker, type ActivityInterceptorsFactory, type NativeConnection } from '@temporalio/worker';
import type { PayloadCodec } from '@temporalio/common';
import { dataConverterOf } from '../src/temporal/codec';
import type { Activities } from '../activities';
import { notificationTaskQueue } from '../src/contracts/temporal';

/** Twilio's default for a long-code number is about 1 message per second per number, SendGrid's far higher; 10/s suits a short code or a messaging service. */
export const DEFAULT_NOTIFICATIONS_PER_SECOND = 10;

export interface NotificationWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  /** The workflows' task queue; this worker polls its notification queue. */
  taskQueue: string;
  /** The activities the main worker runs; only the message ones are registered here. */
  activities: Pick<Activities, 'sendOrderNotification' | 'sendCartReminder' | 'sendAccountMessage'>;
  /**
   * Messages per second across the queue; DEFAULT_NOTIFICATIONS_PER_SECOND when not given. null for
   * no limit: on the time-skipping test server the limiter runs on the skipped clock and starves the
   * queue (a workflow that jumps days never gets its message), so tests there run without one.
   */
  perSecond?: number | null;
  shutdownGraceMs?: number;
  /** The main worker's activity interceptors (metrics, tracing), so messages are measured like every activity. */
  activityInterceptors?: ActivityInterceptorsFactory[];
  /** The payload codec of the main worker (src/temporal/codec.ts): the message activities' arguments are encrypted too. */
  payloadCodec?: PayloadCodec;
}

export async function createNotificationWorker(opts: NotificationWorkerOptions): Promise<Worker> {
  const grace = opts.shutdownGraceMs ?? 10_000;
  return Worker.create({
    connection: opts.connection,
    namespace: opts.namespace,
    taskQueue: notificationTaskQueue(opts.taskQueue),
    dataConverter: dataConverterOf(opts.payloadCodec),
    activities: { sendOrderNotification: opts.activities.sendOrderNotification, sendCartReminder: opts.activities.sendCartReminder,
      sendAccountMessage: opts.activities.sendAccountMessage },
    ...(opts.perSecond === null ? {} : { maxTaskQueueActivitiesPerSecond: opts.perSecond ?? DEFAULT_NOTIFICATIONS_PER_SECOND }),
    interceptors: { activity: opts.activityInterceptors ?? [] },
    shutdownGraceTime: grace,
    shutdownForceTime: grace + 10_000,
  });
}
