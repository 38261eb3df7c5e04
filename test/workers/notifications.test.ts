/**
 * Customer messages run on their own task queue (<workflow queue>-notifications), polled by a
 * worker that has only the notification activity and a task-queue rate limit. Checked on the dev
 * server, whose matching service enforces the limit, with a workflow that sends the way checkout does.
 */
import { Context } from '@temporalio/activity';
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { connectDevServerEnv, testDataConverter, testPayloadCodec, uniqueTaskQueue } from '../support/temporal';
import { createNotificationWorker } from '../../workers/notifications';
import type { NotificationResult } from '../../activities/notifications';
import { notifyMany } from '../fixtures/notify-workflow';

let env: TestWorkflowEnvironment;
beforeAll(async () => {
  env = await connectDevServerEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it('messages go to the notification queue and are let through at the configured rate, however many are scheduled at once', async () => {
  const taskQueue = uniqueTaskQueue('notify');
  const calls: { queue: string; at: number }[] = [];
  const sendOrderNotification = async (): Promise<NotificationResult> => {
    calls.push({ queue: Context.current().info.taskQueue, at: Date.now() });
    return { status: 'sent' };
  };
  // The workflows' worker has no activities at all: a message scheduled on its queue would never run.
  const workflows = await Worker.create({ connection: env.nativeConnection, taskQueue, dataConverter: testDataConverter(), workflowsPath: require.resolve('../fixtures/notify-workflow') });
  const notifications = await createNotificationWorker({ connection: env.nativeConnection, taskQueue, payloadCodec: testPayloadCodec(),
    activities: { sendOrderNotification } as never, perSecond: 2, shutdownGraceMs: 1000 });
  const started = Date.now();
  const statuses = await notifications.runUntil(workflows.runUntil(
    env.client.workflow.execute(notifyMany, { taskQueue, workflowId: `notify-${taskQueue}`, args: ['order-1', 6] })));
  expect(statuses).toEqual(Array(6).fill('sent'));
  expect(new Set(calls.map((c) => c.queue))).toEqual(new Set([`${taskQueue}-notifications`]));
  // 6 messages at 2 per second: the last cannot start much before 2 s after the first (a burst of up to 2 is allowed).
  const spread = Math.max(...calls.map((c) => c.at)) - Math.min(...calls.map((c) => c.at));
  expect(spread).toBeGreaterThanOrEqual(1500);
  expect(Date.now() - started).toBeLessThan(30_000);
});
