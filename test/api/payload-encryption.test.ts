/**
 * The proof that Temporal holds no customer data in clear: an order placed through the API with an
 * e-mail address, a phone number, a name and an address, paid with 3-D Secure, its address changed by
 * support, packed and shipped. Each of its workflows' raw histories, read through a Temporal client
 * WITHOUT the codec (as the Temporal server, its database or its UI hold them), contains none of
 * those strings; the same histories decrypt with the codec and replay against the workflow code, and
 * still replay once a new key has become the encrypting one (key rotation).
 */
import { randomInt, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { temporal as proto } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { workflowIds } from '../../src/contracts/temporal';
import { dataConverterOf, parsePayloadKeys, PayloadEncryptionCodec } from '../../src/temporal/codec';
import { required, type TestDatabase } from '../support/db';
import { startApiWorld, stopApiWorld, STAFF_TOKEN, type TestApi, type TestWorker } from '../support/api';
import { shipOrder, waitForOrder, WAIT_FOR_WAREHOUSE } from '../support/orders-api';
import { NEXT_TEST_PAYLOAD_KEY, TEST_PAYLOAD_KEYS, testDataConverter, workflowBundle } from '../support/temporal';
import { readableHistory } from '../support/accounts';

let db: TestDatabase;
let worker: TestWorker;
let api: TestApi;
let raw: { client: Client; connection: Connection };

beforeAll(async () => {
  ({ db, worker, api } = await startApiWorld({ stock: 100, api: { app: WAIT_FOR_WAREHOUSE } }));
  // A client as anyone with access to the Temporal server has it: no codec.
  const connection = await Connection.connect({ address: required('TEST_TEMPORAL_ADDRESS') });
  raw = { connection, client: new Client({ connection }) };
});
afterAll(async () => {
  await raw?.connection.close();
  await stopApiWorld({ api, worker, db });
});

const staff = { Authorization: `Bearer ${STAFF_TOKEN}` };
const tag = randomUUID().slice(0, 6);
const digits = String(randomInt(1000, 9999));
const PERSON = {
  email: `grace.hopper.${tag}@example.com`,
  phone: `+4477009${digits}0`,
  address: { name: `Grace Hopper ${tag}`, line1: `${digits} Compiler Lane`, line2: `Flat ${tag}`, city: 'Arlington', postalCode: 'VA 22201', country: 'US' },
  moved: { name: `Grace B. Hopper ${tag}`, line1: `${digits} Cobol Court`, line2: `Suite ${tag}` },
};
/** Every personal string of the order, as it might appear in a payload. */
const SECRETS = [PERSON.email, PERSON.phone, PERSON.phone.slice(1), PERSON.address.name, PERSON.address.line1, PERSON.address.line2,
  PERSON.moved.name, PERSON.moved.line1, PERSON.moved.line2];

async function placeOrderWith3ds(): Promise<string> {
  const cart = await api.request('POST', '/carts');
  await api.request('POST', `/carts/${cart.body.id}/items`, { body: { sku: 'MUG-1', quantity: 1 } });
  const placed = await api.request('POST', `/carts/${cart.body.id}/checkout`, { headers: { 'Idempotency-Key': randomUUID() },
    body: { email: PERSON.email, phone: PERSON.phone, shippingAddress: PERSON.address, paymentMethod: 'pm_card_authenticationRequired' } });
  expect(placed.status).toBe(202);
  expect(placed.body.payment.status).toBe('requires_action');
  const done = await api.request('POST', new URL(placed.body.payment.nextAction.url).pathname, { body: { outcome: 'succeeded' } });
  expect(done.status).toBe(200);
  return placed.body.orderId;
}

it('an order\'s raw histories hold none of its e-mail, phone, name or address lines; decrypted they do, and they replay, before and after a key rotation', async () => {
  const orderId = await placeOrderWith3ds();
  await waitForOrder(api, orderId, (l) => l.status === 'awaiting_fulfillment');
  const moved = await api.request('PATCH', `/admin/orders/${orderId}/shipping-address`, { headers: staff, body: { ...PERSON.moved, reason: 'moved house' } });
  expect(moved.status).toBe(200);
  const shipmentId = await shipOrder(api, db, orderId);
  const ids = [workflowIds.checkout(orderId), workflowIds.payment(orderId), workflowIds.fulfillment(orderId), workflowIds.shipment(shipmentId)];

  const histories = await Promise.all(ids.map((id) => raw.client.workflow.getHandle(id).fetchHistory()));
  for (const [i, history] of histories.entries()) {
    // Every byte the server keeps of the history, payloads and search attributes included.
    const bytes = Buffer.from(proto.api.history.v1.History.encode(history).finish()).toString('latin1');
    const described = JSON.stringify(await raw.client.workflow.getHandle(ids[i]).describe().then((d) => d.raw));
    for (const secret of SECRETS) {
      expect({ workflow: ids[i], secret, inHistory: bytes.includes(secret), inDescription: described.includes(secret) })
        .toEqual({ workflow: ids[i], secret, inHistory: false, inDescription: false });
    }
  }
  expect(histories.reduce((n, h) => n + (h.events ?? []).length, 0)).toBeGreaterThan(30);
  // Not a vacuous check: the address change is in the checkout's history, readable with the codec.
  const decrypted = await readableHistory(histories[0]);
  expect(decrypted).toContain(PERSON.moved.line1);
  expect(decrypted).toContain(PERSON.moved.name);

  const replay = (history: proto.api.history.v1.IHistory, id: string, codec: PayloadEncryptionCodec) =>
    Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter: dataConverterOf(codec) }, history, id);
  // After a rotation: the new key encrypts, the old one is still listed, so what it wrote still replays.
  const rotated = new PayloadEncryptionCodec(parsePayloadKeys(`${TEST_PAYLOAD_KEYS},${NEXT_TEST_PAYLOAD_KEY}`, NEXT_TEST_PAYLOAD_KEY.split(':')[0]));
  for (const [i, history] of histories.entries()) {
    await Worker.runReplayHistory({ workflowBundle: workflowBundle(), dataConverter: testDataConverter() }, history, ids[i]);
    await replay(history, ids[i], rotated);
  }
  // And the key is what makes them readable: without the old key, the checkout's history cannot replay.
  const withoutOldKey = new PayloadEncryptionCodec(parsePayloadKeys(NEXT_TEST_PAYLOAD_KEY, NEXT_TEST_PAYLOAD_KEY.split(':')[0]));
  await expect(replay(histories[0], ids[0], withoutOldKey)).rejects.toThrow();
});
