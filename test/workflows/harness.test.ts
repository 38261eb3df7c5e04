import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createTimeSkippingEnv, testDataConverter, uniqueTaskQueue } from '../support/temporal';
import { waitAWeek } from '../fixtures/long-timer-workflow';

let env: TestWorkflowEnvironment;

beforeAll(async () => {
  env = await createTimeSkippingEnv();
});
afterAll(async () => {
  await env?.teardown();
});

it('a workflow that sleeps seven days finishes in seconds on the time-skipping server', async () => {
  const taskQueue = uniqueTaskQueue();
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    dataConverter: testDataConverter(),
    workflowsPath: require.resolve('../fixtures/long-timer-workflow'),
  });
  const wallStart = Date.now();
  const result = await worker.runUntil(env.client.workflow.execute(waitAWeek, { taskQueue, workflowId: `harness-${taskQueue}` }));
  expect(result.finishedAt - result.startedAt).toBeGreaterThanOrEqual(7 * 24 * 3600 * 1000);
  expect(Date.now() - wallStart).toBeLessThan(30_000);
});
