/**
 * Temporal for tests. Time-skipping environments are created per test file: the test server
 * skips time globally, so files sharing one would move each other's clocks. It starts in ~0.4 s.
 * Workflow code comes from the bundle the harness built once for the whole run.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Runtime, DefaultLogger, type WorkflowBundleOption } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { SEARCH_ATTRIBUTES } from '../../src/contracts/temporal';
import { dataConverterOf, parsePayloadKeys, PayloadEncryptionCodec } from '../../src/temporal/codec';
import type { TemporalTarget } from '../../src/temporal/client';
import { required } from './db';

/**
 * The payload keys of every test client and worker, as production has its own (PAYLOAD_KEYS): the
 * harness puts them in the environment, so whatever reads the configuration encrypts with them too.
 * Test keys only, in the open: the replay histories in test/replay/histories are encrypted with
 * TEST_PAYLOAD_KEY_ID, and replay with these (test/replay/replay.test.ts).
 */
export const TEST_PAYLOAD_KEY_ID = 'test-2026-12';
export const TEST_PAYLOAD_KEYS = `${TEST_PAYLOAD_KEY_ID}:xJWZ/we4pioxTSjii4VZLT69/MS27C5bY5HSedvsDZA=`;
/** A second key, for the rotation tests: it takes over encrypting while TEST_PAYLOAD_KEY_ID still decrypts. */
export const NEXT_TEST_PAYLOAD_KEY = 'test-2027-01:qMgd7jtopTCI9yZfuWHlxm3a5VAYtpuVJG6tV0r+9+E=';

export function testPayloadCodec(): PayloadEncryptionCodec {
  return new PayloadEncryptionCodec(parsePayloadKeys(TEST_PAYLOAD_KEYS, TEST_PAYLOAD_KEY_ID));
}

export const testDataConverter = () => dataConverterOf(testPayloadCodec());

/** The harness's dev server, as the engine's clients reach it (with the test payload codec). */
export function testTarget(): TemporalTarget {
  return { address: required('TEST_TEMPORAL_ADDRESS'), namespace: 'default', payloadCodec: testPayloadCodec() };
}

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
    client: { dataConverter: testDataConverter() },
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
  return TestWorkflowEnvironment.createFromExistingServer({ address: required('TEST_TEMPORAL_ADDRESS'), client: { dataConverter: testDataConverter() } });
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

/**
 * A copy of `value` (a history, an event, a describe result) with every encrypted payload in it
 * decrypted by the test codec, as the Temporal UI shows it through the codec endpoint.
 */
export async function decryptedCopy<T>(value: T, codec: PayloadCodec = testPayloadCodec()): Promise<T> {
  return (await walk(value, codec)) as T;
}

async function walk(value: unknown, codec: PayloadCodec): Promise<unknown> {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return Promise.all(value.map((v) => walk(v, codec)));
  const record = value as Record<string, unknown>;
  if (record.metadata && typeof record.metadata === 'object' && (record.metadata as Record<string, unknown>).encoding instanceof Uint8Array) {
    return (await codec.decode([record as Payload]))[0];
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) out[k] = await walk(v, codec);
  return out;
}
