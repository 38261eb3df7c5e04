/**
 * An unknown e-mail address takes as long to refuse as a wrong password, at the configured (production
 * default) argon2 cost: measured over several alternating tries, compared by median with a generous
 * bound. Without the dummy hash an unknown address is refused after one database lookup, a small
 * fraction of the time a password check takes, which this would catch.
 */
import { randomUUID } from 'node:crypto';
import { accountsWorld, signUp } from '../support/accounts';
import { accountSettings } from '../../src/accounts/settings';

const { api } = accountsWorld({ stock: 1, api: { app: { accounts: accountSettings() } } });

const TRIES = 9;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(body: unknown): Promise<{ ms: number; status: number; error: unknown }> {
  const started = process.hrtime.bigint();
  const res = await api().request('POST', '/auth/sign-in', { body });
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  const { requestId: _id, ...error } = res.body.error;
  return { ms, status: res.status, error };
}

it('refuses an unknown e-mail address in about the time it takes to refuse a wrong password, with the same answer', async () => {
  const c = await signUp(api());
  const wrong: number[] = [];
  const unknown: number[] = [];
  await timed({ email: c.email, password: 'warming up the server' });
  for (let i = 0; i < TRIES; i++) {
    const a = await timed({ email: c.email, password: `wrong password ${i}` });
    const b = await timed({ email: `nobody-${randomUUID()}@example.com`, password: `wrong password ${i}` });
    expect([a.status, b.status]).toEqual([401, 401]);
    expect(b.error).toEqual(a.error);
    wrong.push(a.ms);
    unknown.push(b.ms);
  }
  const ratio = median(unknown) / median(wrong);
  // Generous: a shared 2-core machine; the flaw this guards against shows as a ratio near 0.05.
  expect({ wrongMs: median(wrong), unknownMs: median(unknown), ratioWithinHalfToDouble: ratio > 0.5 && ratio < 2 })
    .toEqual({ wrongMs: median(wrong), unknownMs: median(unknown), ratioWithinHalfToDouble: true });
});
