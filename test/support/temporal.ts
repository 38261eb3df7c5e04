/**
 * Temporal for tests. Time-skipping environments are created per test file: the test server
 * skips time globally, so files sharing one would move each other's clocks. It starts in ~0.4 s.
 * Workflow code comes from the bundle the harness built once for the whole run.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/temporal';
import { required } from './db';

const T = temporal.api.enums.v1.IndexedValueType;
const INDEXED_VALUE_TYPE: Record<string, number> = {
  KEYWORD: T.INDEXED_VALUE_TYPE_KEYWORD, INT: T.INDEXED_VALUE_TYPE_INT, TEXT: T.INDEXED_VALUE_TYPE_TEXT,
  BOOL: T.INDEXED_VALUE_TYPE_BOOL, DOUBLE: T.INDEXED_VALUE_TYPE_DOUBLE, DATETIME: T.INDEXED_VALUE_TYPE_DATETIME,
  KEYWORD_LIST: T.INDEXED_VALUE_TYPE_KEYWORD_LIST,
};

let runtimeInstalled = false;

/** Keeps the SDK's own logs quiet in tests (errors still show). Must run before any connection. */
export function installQuietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  try {
    Runtime.install({ logger: new DefaultLogger('ERROR') });
  } catch {
    // Already installed by another helper in this file's module registry: keep that one.
  }
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: required('TEST_TEMPORAL_TEST_SERVER') } },
  });
  // Like a real namespace, the test server refuses search attributes nobody registered.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(SEARCH_ATTRIBUTES.map((key) => [key.name, INDEXED_VALUE_TYPE[key.type]])),
  });
  return env;
}

/** The dev server the harness started (has Schedules and visibility, unlike the time-skipping server). */
export async function connectDevServerEnv(): Promise<TestWorkflowEnvironment> {
  installQuietRuntime();
  return TestWorkflowEnvironment.createFromExistingServer({ address: required('TEST_TEMPORAL_ADDRESS') });
}

export function workflowBundle(): WorkflowBundleOption {
  return { codePath: required('TEST_WORKFLOW_BUNDLE') };
}

let counter = 0;
/** A task queue of its own per test, so workers of different tests never steal each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  counter += 1;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}
