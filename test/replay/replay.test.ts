/**
 * Recorded histories of every checkout path (protobuf-encoded, as the server sends them), replayed against the current workflow code: a change
 * that would break orders already in flight (non-determinism) fails here, before it ships.
 * Re-record after an intended, versioned change: RECORD_HISTORIES=1 npx jest test/workflows/checkout
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { installQuietRuntime, workflowBundle } from '../support/temporal';

const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.history.bin')).sort();

beforeAll(() => installQuietRuntime());

it('has recorded histories of every workflow to replay, including orders placed before each versioned change', () => {
  const count = (prefix: string) => files.filter((f) => f.startsWith(prefix)).length;
  expect(count('checkout--')).toBeGreaterThanOrEqual(12);
  expect(count('payment--')).toBeGreaterThanOrEqual(8);
  expect(count('fulfillment--')).toBeGreaterThanOrEqual(3);
  expect(count('shipment--')).toBeGreaterThanOrEqual(1);
  // Orders already in flight when fulfilment shipped (the `patched` guard in checkout.ts keeps them valid).
  expect(count('v1-before-fulfilment--checkout--')).toBeGreaterThanOrEqual(8);
  // Orders in flight when the status writes after the payment became local activities and the payment's closing signal went.
  expect(count('v2-before-local-status-writes--checkout--')).toBeGreaterThanOrEqual(12);
  expect(count('v2-before-local-status-writes--payment--')).toBeGreaterThanOrEqual(8);
  // Orders shipped before the after-sales window (and before a failure after dispatch stopped rolling back).
  expect(count('v3-before-after-sales--checkout--')).toBeGreaterThanOrEqual(4);
  // Parcels followed before a status reached again was told again (each occurrence its own message).
  expect(count('v4-before-tell-each-occurrence--shipment--')).toBeGreaterThanOrEqual(8);
  // Orders placed before the fulfilment patch was recorded at the checkout's start.
  expect(count('v5-before-early-fulfilment-patch--checkout--')).toBeGreaterThanOrEqual(12);
});

/**
 * A patch read right after a local activity can replay as absent when the activity's result and the
 * next step fell in different workflow tasks (seen with SDK 1.24: the order's replay failed on the
 * fulfilment patch's marker). Current checkouts record that patch before their first local activity.
 */
it('current checkout histories record the fulfilment patch before any local activity', () => {
  const current = files.filter((f) => f.startsWith('checkout--'));
  expect(current.length).toBeGreaterThanOrEqual(12);
  for (const file of current) {
    const markers = (temporal.api.history.v1.History.decode(readFileSync(join(dir, file))).events ?? [])
      .map((e) => e.markerRecordedEventAttributes)
      .filter((m) => m != null)
      .map((m) => (m.markerName === 'core_patch' ? Buffer.from(m.details?.['patch-data']?.payloads?.[0]?.data ?? []).toString() : m.markerName));
    const patch = markers.findIndex((m) => m?.includes('"fulfilment-and-tracking"'));
    const firstLocal = markers.indexOf('core_local_activity');
    expect({ file, patchFirst: patch >= 0 && (firstLocal < 0 || patch < firstLocal) }).toEqual({ file, patchFirst: true });
  }
});

it.each(files)('%s replays without non-determinism', async (file) => {
  const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
  await Worker.runReplayHistory({ workflowBundle: workflowBundle() }, history, file);
});
