/**
 * The codec endpoint the Temporal UI and CLI decode through: the remote codec protocol's JSON, the
 * roles that may read customer data (support, admin) and those that may not (warehouse, catalog),
 * the cookie a browser carries instead of a header, CORS limited to the UI's origin, and the real
 * `temporal` CLI reading an encrypted history through it.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { requireTool } from '../../src/temporal/binaries';
import { connectClient } from '../../src/temporal/client';
import { parsePayloadKeys, PayloadEncryptionCodec } from '../../src/temporal/codec';
import { createTestDatabase, required, type TestDatabase } from '../support/db';
import { STAFF, staffAs, startTestApi, type TestApi } from '../support/api';
import { NEXT_TEST_PAYLOAD_KEY, testPayloadCodec, testTarget } from '../support/temporal';

const UI = 'http://127.0.0.1:8233';
let db: TestDatabase;
let api: TestApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db.orm, { app: { codecCorsOrigins: [UI] } });
});
afterAll(async () => {
  await api?.close();
  await db?.drop();
});

const SECRET = { name: 'Ada Lovelace', line1: '12 St James Square', email: 'ada@example.com' };
const b64 = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString('base64');
const asJson = (p: { metadata?: Record<string, Uint8Array | null> | null; data?: Uint8Array | null }) => ({
  metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])), data: b64(p.data),
});
async function encryptedJson(value: unknown) {
  return asJson((await testPayloadCodec().encode([defaultPayloadConverter.toPayload(value)]))[0]);
}
const valueOf = (p: { metadata: Record<string, string>; data: string }) => defaultPayloadConverter.fromPayload({
  metadata: Object.fromEntries(Object.entries(p.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])), data: Buffer.from(p.data, 'base64'),
});

describe('the codec routes', () => {
  it('decode what the engine encrypted, for support and admin staff, in the UI\'s JSON; encode what the UI sends so the workers read it', async () => {
    const payloads = [await encryptedJson(SECRET), await encryptedJson('second')];
    expect(Buffer.from(payloads[0].data, 'base64').toString('latin1')).not.toContain('Lovelace');
    for (const role of ['support', 'admin'] as const) {
      const res = await api.request('POST', '/codec/decode', { headers: { ...staffAs(role), 'X-Namespace': 'default' }, body: { payloads } });
      expect(res.status).toBe(200);
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.body.payloads.map(valueOf)).toEqual([SECRET, 'second']);
    }
    const plain = asJson(defaultPayloadConverter.toPayload({ line1: '1 New Street' }));
    const encoded = await api.request('POST', '/codec/encode', { headers: staffAs('support'), body: { payloads: [plain] } });
    expect(encoded.status).toBe(200);
    expect(Buffer.from(encoded.body.payloads[0].metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
    const [back] = await testPayloadCodec().decode([{ metadata: { encoding: Buffer.from('binary/encrypted'),
      'encryption-key-id': Buffer.from(encoded.body.payloads[0].metadata['encryption-key-id'], 'base64') },
    data: Buffer.from(encoded.body.payloads[0].data, 'base64') }]);
    expect(defaultPayloadConverter.fromPayload(back)).toEqual({ line1: '1 New Street' });
    // No payloads at all (a query without an argument): protobuf's JSON leaves the empty list out, and the CLI sends `{}`.
    for (const direction of ['decode', 'encode']) {
      const none = await api.request('POST', `/codec/${direction}`, { headers: staffAs('support'), body: {} });
      expect({ direction, status: none.status, body: none.body }).toEqual({ direction, status: 200, body: { payloads: [] } });
    }
  });

  it('refuse the warehouse and catalog roles (403) and callers without a key (401): a history holds every customer detail or none', async () => {
    const body = { payloads: [await encryptedJson(SECRET)] };
    for (const role of ['warehouse', 'catalog'] as const) {
      const res = await api.request('POST', '/codec/decode', { headers: staffAs(role), body });
      expect({ role, status: res.status, code: res.body.error.code }).toEqual({ role, status: 403, code: 'forbidden' });
      expect(JSON.stringify(res.body)).not.toContain('Lovelace');
    }
    expect((await api.request('POST', '/codec/decode', { body })).status).toBe(401);
    expect((await api.request('POST', '/codec/decode', { headers: { Authorization: 'Bearer sess_nope' }, body })).status).toBe(401);
  });

  it('answer a payload under a key not in PAYLOAD_KEYS, or altered, with 422 payload_undecryptable naming the key, and bad JSON with 400', async () => {
    const stranger = new PayloadEncryptionCodec(parsePayloadKeys(NEXT_TEST_PAYLOAD_KEY, NEXT_TEST_PAYLOAD_KEY.split(':')[0]));
    const foreign = asJson((await stranger.encode([defaultPayloadConverter.toPayload('x')]))[0]);
    const res = await api.request('POST', '/codec/decode', { headers: staffAs('support'), body: { payloads: [foreign] } });
    expect({ status: res.status, code: res.body.error.code }).toEqual({ status: 422, code: 'payload_undecryptable' });
    expect(res.body.error.message).toContain('test-2027-01');
    const altered = await encryptedJson(SECRET);
    const bytes = Buffer.from(altered.data, 'base64');
    bytes[20] ^= 1;
    const tampered = await api.request('POST', '/codec/decode', { headers: staffAs('support'), body: { payloads: [{ ...altered, data: bytes.toString('base64') }] } });
    expect(tampered.body.error.code).toBe('payload_undecryptable');
    const bad = await api.request('POST', '/codec/decode', { headers: staffAs('support'), body: { payloads: [{ data: 'not base64!' }] } });
    expect({ status: bad.status, code: bad.body.error.code }).toEqual({ status: 400, code: 'validation_failed' });
  });

  it('keep a support key in an HttpOnly cookie scoped to /codec for the UI, which then decodes with no header; signing out clears it', async () => {
    const set = await api.request('POST', '/codec/session', { headers: staffAs('support') });
    expect(set.status).toBe(204);
    const cookie = set.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^codec_staff_key=staff_[^;]+; path=\/codec; expires=[^;]+; samesite=strict; httponly$/);
    const jar = cookie.split(';')[0];
    const body = { payloads: [await encryptedJson(SECRET)] };
    const decoded = await api.request('POST', '/codec/decode', { headers: { Cookie: jar, Origin: UI }, body });
    expect(decoded.status).toBe(200);
    expect(valueOf(decoded.body.payloads[0])).toEqual(SECRET);
    // The cookie is read on the codec routes only: elsewhere it is not a credential.
    expect((await api.request('GET', '/admin/notices', { headers: { Cookie: jar } })).status).toBe(401);
    const warehouse = await api.request('POST', '/codec/session', { headers: staffAs('warehouse') });
    expect(warehouse.status).toBe(403);
    expect(warehouse.headers.get('set-cookie')).toBeNull();
    const out = await api.request('DELETE', '/codec/session');
    expect(out.headers.get('set-cookie')).toMatch(/^codec_staff_key=; path=\/codec; expires=Thu, 01 Jan 1970/);
    expect((await api.request('GET', '/codec')).body).toContain('Include cross-origin credentials');
  });

  it('let a browser call them only from the configured UI origin: the preflight and the answer carry CORS headers for it alone', async () => {
    const preflight = (origin: string) => api.request('OPTIONS', '/codec/decode', { headers: { Origin: origin,
      'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-namespace' } });
    const ok = await preflight(UI);
    expect(ok.status).toBe(204);
    expect(Object.fromEntries(['access-control-allow-origin', 'access-control-allow-credentials', 'access-control-allow-methods',
      'access-control-allow-headers'].map((h) => [h, ok.headers.get(h)]))).toEqual({ 'access-control-allow-origin': UI,
      'access-control-allow-credentials': 'true', 'access-control-allow-methods': 'POST', 'access-control-allow-headers': 'content-type, x-namespace, authorization' });
    const evil = await preflight('https://evil.example');
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    const answer = await api.request('POST', '/codec/decode', { headers: { ...staffAs('support'), Origin: 'https://evil.example' },
      body: { payloads: [] } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
  });
});

it('the temporal CLI reads an encrypted workflow input in plain text through --codec-endpoint with a support key, and not without it', async () => {
  const temporal = await connectClient(testTarget());
  const workflowId = `codec-cli-${randomUUID()}`;
  try {
    // A workflow no worker runs: its start event holds the encrypted input.
    await temporal.client.workflow.start('privacyProbe', { taskQueue: `nobody-${workflowId}`, workflowId, args: [SECRET] });
    const cli = requireTool('cli').path;
    const show = (extra: string[]) => new Promise<string>((resolve, reject) => {
      execFile(cli, ['workflow', 'show', '--workflow-id', workflowId, '--address', required('TEST_TEMPORAL_ADDRESS'), '--detailed', ...extra],
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
    });
    const plain = await show(['--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${STAFF.support.key}`]);
    expect(plain).toContain('12 St James Square');
    const raw = await show([]);
    expect(raw).not.toContain('12 St James Square');
    expect(raw).toContain(`encoding: ${Buffer.from('binary/encrypted').toString('base64')}`);
    // A warehouse key: the endpoint says 403 and the CLI shows nothing.
    await expect(show(['--codec-endpoint', `${api.url}/codec`, '--codec-auth', `Bearer ${STAFF.warehouse.key}`]))
      .rejects.toThrow(/displaying history failed/);
  } finally {
    await temporal.client.workflow.getHandle(workflowId).terminate('test done').catch(() => undefined);
    await temporal.connection.close();
  }
});
