/**
 * Recorded histories of every workflow's paths (protobuf-encoded, as the server sends them), replayed
 * against the current workflow code: a change that would break a workflow already running
 * (non-determinism) fails here, before it ships. How and when to re-record: docs/contributing.md.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { CART_SWEEP_ID, IMAGE_SWEEP_ID, RETENTION_SWEEP_ID } from '../../src/contracts/temporal';
import { installQuietRuntime, testDataConverter, workflowBundle } from '../support/temporal';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.history.bin')).sort();

beforeAll(() => installQuietRuntime());

it('has recorded histories of every workflow to replay', () => {
  const count = (workflow: string) => files.filter((f) => f.startsWith(`${workflow}--`)).length;
  expect(count('checkout')).toBeGreaterThanOrEqual(12);
  expect(count('payment')).toBeGreaterThanOrEqual(8);
  expect(count('fulfillment')).toBeGreaterThanOrEqual(3);
  expect(count('shipment')).toBeGreaterThanOrEqual(1);
  expect(count(CART_SWEEP_ID)).toBeGreaterThanOrEqual(1);
  expect(count('account-message')).toBeGreaterThanOrEqual(2);
  expect(count(IMAGE_SWEEP_ID)).toBeGreaterThanOrEqual(1);
  expect(count('catalog-import')).toBeGreaterThanOrEqual(3);
  expect(count('gdpr-erasure')).toBeGreaterThanOrEqual(2);
  expect(count(RETENTION_SWEEP_ID)).toBeGreaterThanOrEqual(1);
});

it.each(files)('%s replays without non-determinism', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
  await Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter: testDataConverter() }, history, file);
});
