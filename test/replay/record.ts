/**
 * Recording the histories test/replay/replay.test.ts replays. A test that runs a workflow path
 * saves each workflow's history when it is done; nothing is written unless RECORD_HISTORIES is set:
 *
 *   RECORD_HISTORIES=1 npx jest test/workflows test/api/ops-view test/api/catalog-images
 *
 * One file per workflow and test: <workflow>--<test name>[<suffix>].history.bin.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';

export const RECORDING = Boolean(process.env.RECORD_HISTORIES);

/** `workflow` is the workflow's kind as its id begins (checkout, payment, fulfillment, shipment, cart-expiry-sweep, account-message). */
export function saveHistory(workflow: string, history: temporal.api.history.v1.IHistory, suffix = ''): void {
  const test = (expect.getState().currentTestName ?? 'unnamed').replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase().slice(0, 80);
  writeFileSync(join(__dirname, 'histories', `${workflow}--${test}${suffix}.history.bin`), temporal.api.history.v1.History.encode(history).finish());
}
