/** Customer accounts in the API tests: sign-up and sign-in through the API, the e-mails a worker sent, and what the database holds. */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { accountSettings, type AccountSettings } from '../../src/accounts/settings';
import { newSessionToken, sha256Hex } from '../../src/auth/tokens';
import { OWASP_MINIMUMS } from '../../src/domain/passwords';
import type { Notifier, OutgoingMessage } from '../../src/integrations/notifier';
import { startApiWorld, stopApiWorld, type ApiWorld, type TestApi } from './api';
import type { TestDatabase } from './db';
import { decryptedCopy } from './temporal';

/** OWASP's cheapest-to-compute minimum: most account tests hash many passwords and are not about their cost. */
export const FAST_ACCOUNTS: AccountSettings = { ...accountSettings(), argon2: OWASP_MINIMUMS[0] };

export const PASSWORD = 'correct horse battery staple';

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export interface Customer { id: string; email: string; password: string; token: string; headers: { Authorization: string } }

/** A new account through POST /auth/sign-up (with a unique address), signed in. */
export async function signUp(api: TestApi, body: Record<string, unknown> = {}): Promise<Customer> {
  const email = (body.email as string | undefined) ?? `shopper-${randomUUID()}@example.com`;
  const password = (body.password as string | undefined) ?? PASSWORD;
  const res = await api.request('POST', '/auth/sign-up', { body: { name: 'Ada', ...body, email, password } });
  if (res.status !== 201) throw new Error(`sign-up answered ${res.status}: ${JSON.stringify(res.body)}`);
  return { id: res.body.customer.id, email, password, token: res.body.session.token, headers: bearer(res.body.session.token) };
}

export async function signIn(api: TestApi, c: { email: string; password: string }, extra: Record<string, unknown> = {}) {
  return api.request('POST', '/auth/sign-in', { body: { email: c.email, password: c.password, ...extra } });
}

/** A notifier that keeps every message it is handed, as a provider would receive it. */
export class RecordingNotifier implements Notifier {
  readonly sent: OutgoingMessage[] = [];

  async send(message: OutgoingMessage) {
    this.sent.push(message);
    return { provider: 'recording', messageId: `rec-${message.idempotencyKey}` };
  }

  to(address: string, subject?: RegExp): OutgoingMessage[] {
    return this.sent.filter((m) => m.to === address && (!subject || subject.test(m.subject)));
  }

  /** Waits for the `n`th message to this address (with this subject) and answers the token of its link. */
  async linkToken(address: string, subject: RegExp, n = 1, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const message = this.to(address, subject)[n - 1];
      if (message) return /#token=([A-Za-z0-9_-]+)/.exec(message.text)![1];
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no e-mail number ${n} matching ${subject} reached ${address}; sent: ${JSON.stringify(this.sent.map((m) => [m.to, m.subject]))}`);
  }
}

/** A logger that keeps every line it writes, at debug level, to search for what must never be logged. */
export function capturingLogger(): { logger: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
  return { logger: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

/** Rows of a table as JSON text, to compare before and after a request that must write nothing. */
export async function snapshot(db: TestDatabase, tables: string[]): Promise<string> {
  const conn = db.orm.em.fork().getConnection();
  const parts: string[][] = [];
  for (const table of tables) parts.push((await conn.execute(`select * from ${table}`)).map((row) => JSON.stringify(row)).sort());
  return JSON.stringify(parts);
}

/** A workflow history as searchable text: its payloads decrypted and their data as text, as staff read it in the UI through the codec endpoint. */
export async function readableHistory(history: unknown): Promise<string> {
  return JSON.stringify(await decryptedCopy(history), function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key];
    if (key === 'data' && raw instanceof Uint8Array) return Buffer.from(raw).toString('utf8');
    return key === 'data' && typeof value === 'string' ? Buffer.from(value, 'base64').toString('utf8') : value;
  });
}

/**
 * The world of an account test file: a database, a worker and the API (FAST_ACCOUNTS unless the
 * options say otherwise), started before the file's tests and stopped after; `sql` queries its database.
 */
export function accountsWorld(opts: Partial<Parameters<typeof startApiWorld>[0]> = {}) {
  let world: ApiWorld | undefined;
  beforeAll(async () => {
    world = await startApiWorld({ stock: 100, ...opts, api: { ...opts.api, app: { accounts: FAST_ACCOUNTS, ...opts.api?.app } } });
  });
  afterAll(async () => {
    if (world) await stopApiWorld(world);
  });
  const current = () => world as ApiWorld;
  return {
    world: current,
    api: () => current().api,
    sql: <T = Record<string, unknown>>(text: string, params: unknown[] = []) => current().db.orm.em.fork().getConnection().execute<T[]>(text, params),
  };
}

/**
 * A live session for a customer row a test made directly (as sign-in would open one), for tests that
 * are about something else than signing in: a customer's cart answers only their session.
 */
export async function sessionFor(db: TestDatabase, customerId: string): Promise<{ Authorization: string }> {
  const token = newSessionToken();
  await db.orm.em.fork().getConnection().execute(
    `insert into customer_sessions (token_hash, customer_id, expires_at) values (?, ?, now() + interval '1 day')`, [sha256Hex(token), customerId]);
  return bearer(token);
}
