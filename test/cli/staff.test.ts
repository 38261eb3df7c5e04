/**
 * `npm run staff` against a real database: the bootstrap makes the first admin once (and again only
 * when no admin has a live key), concurrent bootstraps make one admin, and an admin's key manages
 * accounts and keys as the /admin/staff routes do; any other key is refused (exit 4).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { runStaff } from '../../src/cli/staff';
import { staffOfKey } from '../../src/store/staff';
import { createTestDatabase, type TestDatabase } from '../support/db';
import { seedStaffKeys, STAFF } from '../support/api';

let db: TestDatabase;

beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

async function staff(env: NodeJS.ProcessEnv, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runStaff(argv, { out: (t) => out.push(t), err: (t) => err.push(t) }, async () => ({ orm: db.orm }),
    { ...process.env, STAFF_KEY: '', STAFF_KEY_FILE: '', DEV_DATA_DIR: resolve(__dirname, 'no-such-dir'), ...env });
  const text = out.join('\n');
  return { code, out: text, err: err.join('\n'), json: argv.includes('--json') ? JSON.parse(text) : undefined };
}

const keyIn = (text: string) => /(staff_[A-Za-z0-9_-]{43})/.exec(text)![1];

describe('bootstrap', () => {
  it('makes the first admin once, concurrently too; refused while an admin has a live key, allowed again once none has', async () => {
    const runs = await Promise.all(['olga', 'otto', 'olga'].map((name) => staff({}, 'bootstrap', name, '--json')));
    const made = runs.filter((r) => r.code === 0);
    expect(made).toHaveLength(1);
    expect(runs.filter((r) => r.code === 1).map((r) => r.json.message)).toEqual([
      'there is already an admin with a live key: ask them (npm run staff -- create …)',
      'there is already an admin with a live key: ask them (npm run staff -- create …)']);
    const first = await staffOfKey(db.orm.em.fork(), made[0].json.result.key);
    expect(first).toEqual(expect.objectContaining({ name: made[0].json.result.name, roles: ['admin'] }));

    // The admin's only key revoked: the database has no admin with a live key, and the bootstrap works again.
    const asFirst = { STAFF_KEY: made[0].json.result.key };
    const listed = await staff(asFirst, 'list', '--json');
    const keyId = listed.json.result.accounts[0].keys[0].id;
    expect((await staff(asFirst, 'revoke', first!.name, keyId)).code).toBe(0);
    const again = await staff({}, 'bootstrap', 'ivy');
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/^Done: staff:ivy is an admin\. Its key, shown this once/);
    expect(await staffOfKey(db.orm.em.fork(), keyIn(again.out))).toEqual(expect.objectContaining({ name: 'ivy', roles: ['admin'] }));
    const audit = await db.orm.em.fork().getConnection().execute(`select action, actor, via from support_actions where action = 'staff_bootstrap' order by requested_at`);
    expect(audit).toEqual([{ action: 'staff_bootstrap', actor: `staff:${first!.name}`, via: 'cli' }, { action: 'staff_bootstrap', actor: 'staff:ivy', via: 'cli' }]);
  });
});

describe('with an admin key', () => {
  beforeAll(async () => {
    await seedStaffKeys(db.orm);
  });
  const admin = { STAFF_KEY: STAFF.admin.key };

  it('creates an account with roles and prints its key once; issues, revokes, changes roles, disables and enables', async () => {
    const created = await staff(admin, 'create', 'max', '--roles', 'support,warehouse', '--label', 'desk');
    expect(created.code).toBe(0);
    const key = keyIn(created.out);
    expect(created.out).toMatch(/^Done: staff:max has support, warehouse\./);
    expect(await staffOfKey(db.orm.em.fork(), key)).toEqual(expect.objectContaining({ name: 'max', roles: ['support', 'warehouse'] }));
    const second = await staff(admin, 'key', 'max', '--label', 'phone');
    expect(second.code).toBe(0);
    const list = await staff(admin, 'list');
    expect(list.out).toMatch(/^max\s+support,warehouse\n {4}[0-9a-f-]{36} {2}staff_\S+… +desk +last used 20\S+\n {4}[0-9a-f-]{36} {2}staff_\S+… +phone/m);
    expect(list.out).not.toContain(key);
    const keyId = /^ {4}([0-9a-f-]{36}) {2}\S+ +desk/m.exec(list.out)![1];
    expect((await staff(admin, 'revoke', 'max', keyId)).code).toBe(0);
    expect(await staffOfKey(db.orm.em.fork(), key)).toBeUndefined();
    expect(await staffOfKey(db.orm.em.fork(), keyIn(second.out))).toBeDefined();
    expect((await staff(admin, 'roles', 'max', '--roles', 'catalog')).out).toBe('Done: staff:max has catalog');
    expect((await staff(admin, 'disable', 'max')).out).toBe('Done: staff:max has catalog and is disabled');
    expect(await staffOfKey(db.orm.em.fork(), keyIn(second.out))).toBeUndefined();
    expect((await staff(admin, 'enable', 'max')).code).toBe(0);
    expect(await staffOfKey(db.orm.em.fork(), keyIn(second.out))).toEqual(expect.objectContaining({ roles: ['catalog'] }));
  });

  it('says what is wrong: bad usage 2, unknown account 3, a taken name 1', async () => {
    expect(await staff(admin, 'create', 'Max Power', '--roles', 'support')).toEqual(expect.objectContaining({ code: 2,
      err: expect.stringMatching(/^Bad usage: "Max Power" is not a staff name/) }));
    expect((await staff(admin, 'create', 'zed', '--roles', 'janitor')).err).toMatch(/^Bad usage: Unknown role "janitor": roles are support, warehouse, catalog, admin/);
    expect((await staff(admin, 'create', 'zed')).err).toMatch(/^Bad usage: --roles is required/);
    expect((await staff(admin, 'roles', 'nobody', '--roles', 'support')).code).toBe(3);
    expect((await staff(admin, 'create', 'sam', '--roles', 'support')).code).toBe(1);
    expect((await staff(admin, 'frobnicate')).code).toBe(2);
  });

  it('any other key, or none, is not allowed (exit 4) and changes nothing', async () => {
    for (const env of [{ STAFF_KEY: STAFF.support.key }, { STAFF_KEY: 'staff_not-a-key' }, {}]) {
      const run = await staff(env, 'create', 'eve', '--roles', 'admin');
      expect({ env, code: run.code }).toEqual({ env, code: 4 });
      expect(run.err).toMatch(/^Not allowed: /);
    }
    expect(await db.orm.em.fork().getConnection().execute(`select name from staff_accounts where name = 'eve'`)).toEqual([]);
  });

  it('the real command runs against DATABASE_URL', async () => {
    const result = await new Promise<{ code: number; stdout: string }>((done) => {
      execFile('npx', ['tsx', 'src/cli/staff.ts', 'list', '--json'], {
        cwd: resolve(__dirname, '..', '..'), encoding: 'utf8', timeout: 60_000,
        env: { ...process.env, DATABASE_URL: db.url, STAFF_KEY: STAFF.admin.key, LOG_LEVEL: 'silent' },
      }, (err, stdout) => done({ code: err ? Number(err.code) : 0, stdout }));
    });
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout).result.accounts.map((a: { name: string }) => a.name)).toEqual(expect.arrayContaining(['ada', 'sam', 'max']));
  });
});
