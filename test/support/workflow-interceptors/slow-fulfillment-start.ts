/**
 * Test-only workflow interceptor: holds every fulfillment child's start for two seconds, so a test
 * can act in the window where checkout has begun fulfillment but the child does not exist yet
 * (in production that window is a few milliseconds, and a cancel landing in it used to fail).
 */
import { sleep, type WorkflowInterceptorsFactory } from '@temporalio/workflow';

export const FULFILLMENT_START_DELAY_MS = 2_000;

export const interceptors: WorkflowInterceptorsFactory = () => ({
  outbound: [{
    async startChildWorkflowExecution(input, next) {
      if (input.workflowType === 'fulfillment') await sleep(FULFILLMENT_START_DELAY_MS);
      return next(input);
    },
  }],
});
