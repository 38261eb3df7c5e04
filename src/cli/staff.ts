/**
 * `npm run staff -- <command>`: staff accounts and their keys, as the /admin/staff routes manage
 * them. Every command but `bootstrap` needs an admin's key (STAFF_KEY or STAFF_KEY_FILE; under
 * `npm run dev` its own admin key); each change is audited with that admin. `bootstrap <name>`
 * makes the first admin of a database that has none with a live key, and prints its key once: run
 * it once per deployment, by whoever can reach the database (DATABASE_URL).
 * Exit codes: 0 done, 1 refused, 2 bad usage, 3 not found, 4 not allowed.
 */
import { parseArgs } from 'node:util';
import type { MikroORM } from '@mikro-orm/postgresql';
import { loadConfig } from '../config';
import { closeOrm, createOrm } from '../db/orm';
import { DomainError, ErrorCode } from '../domain/errors';
import { checkStaffName, parseRoles, STAFF_ROLES, type StaffPrincipal } from '../domain/staff';
import {
  bootstrapAdmin, createStaffAccount, issueStaffKey, revokeStaffKey, staffAccount, staffAccounts, updateStaffAccount,
  type StaffAccountWithKeys, type StaffChange, type StaffKeyRow,
} from '../store/staff';
import { authorizeStaffKey, StaffKeyError, staffKeyFromEnv } from './staff-key';
import { EXIT, type Io } from './support';

const DEV_DATABASE = 'postgres://commerce:commerce@127.0.0.1:54329/commerce';

interface Command {
  usage: string;
  about: string;
  positionals: string[];
  /** Runs with the database; `admin` is the key's owner (undefined only for bootstrap). */
  run(orm: MikroORM, change: StaffChange | undefined, args: string[], opts: Opts): Promise<{ json: unknown; text: string }>;
}
type Opts = { roles?: string; label?: string };

const COMMANDS: Record<string, Command> = {
  bootstrap: {
    usage: 'bootstrap <name>', positionals: ['name'],
    about: 'Make <name> the first admin and print its key, once. Refused while any admin has a live key; needs no key itself.',
    async run(orm, _change, [name]) {
      const made = await bootstrapAdmin(orm.em.fork(), checkStaffName(name));
      if (!made) throw new DomainError(ErrorCode.ActionRefused, 'there is already an admin with a live key: ask them (npm run staff -- create …)');
      return issued(made.account.name, made.key, made.keyRow, 'is an admin');
    },
  },
  list: {
    usage: 'list', positionals: [], about: 'Every account, its roles and its keys (hints only; a key is shown once, when issued).',
    async run(orm) {
      const accounts = await staffAccounts(orm.em.fork());
      return { json: { accounts }, text: accounts.map(describe).join('\n') || 'no staff accounts' };
    },
  },
  create: {
    usage: `create <name> --roles ${STAFF_ROLES.join(',')} [--label TEXT]`, positionals: ['name'],
    about: 'Create an account with its roles (comma-separated) and print its first key, once.',
    async run(orm, change, [name], o) {
      const made = await createStaffAccount(orm.em.fork(), { name: checkStaffName(name), roles: rolesOf(o), label: o.label }, change!);
      return issued(made.account.name, made.key, made.keyRow, `has ${made.account.roles.join(', ')}`);
    },
  },
  key: {
    usage: 'key <name> [--label TEXT]', positionals: ['name'], about: 'Issue another key to an account and print it, once.',
    async run(orm, change, [name], o) {
      const account = await existing(orm, name);
      const made = await issueStaffKey(orm.em.fork(), account.id, o.label ?? '', change!);
      if (!made) throw new DomainError(ErrorCode.ActionRefused, `staff:${name} is disabled: enable it first`);
      return issued(name, made.key, made.keyRow, 'has a new key');
    },
  },
  revoke: {
    usage: 'revoke <name> <keyId>', positionals: ['name', 'keyId'], about: 'Revoke one key of an account (list shows their ids): it stops working at once.',
    async run(orm, change, [name, keyId]) {
      const account = await existing(orm, name);
      const revoked = /^[0-9a-f-]{36}$/i.test(keyId) ? await revokeStaffKey(orm.em.fork(), account.id, keyId, change!) : undefined;
      if (!revoked) throw new DomainError(ErrorCode.NotFound, `staff:${name} has no live key ${keyId}`);
      return { json: { revoked }, text: `Done: key ${revoked.hint} of staff:${name} is revoked` };
    },
  },
  roles: {
    usage: 'roles <name> --roles ROLE,…', positionals: ['name'], about: 'Replace an account\'s roles.',
    run: (orm, change, [name], o) => update(orm, change!, name, { roles: rolesOf(o) }),
  },
  disable: {
    usage: 'disable <name>', positionals: ['name'], about: 'Disable an account: all its keys stop working at once.',
    run: (orm, change, [name]) => update(orm, change!, name, { disabled: true }),
  },
  enable: {
    usage: 'enable <name>', positionals: ['name'], about: 'Enable a disabled account again (its unrevoked keys work again).',
    run: (orm, change, [name]) => update(orm, change!, name, { disabled: false }),
  },
};

const HELP = `Usage: npm run staff -- <command> [--json]

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage.padEnd(58)} ${c.about}`).join('\n')}

Roles: support (orders, refunds, messages, notices), warehouse (stock, packing), catalog (the catalog), admin (everything, and staff).
Every command but bootstrap needs an admin's key: STAFF_KEY=staff_…, or STAFF_KEY_FILE=<file>; under npm run dev its own admin key.
DATABASE_URL: the shop database (default npm run dev's). Exit codes: 0 done, 1 refused, 2 bad usage, 3 not found, 4 not allowed.`;

export async function runStaff(argv: string[], io: Io, connect: () => Promise<{ orm: MikroORM; close?(): Promise<void> }>,
  env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  const json = argv.includes('--json');
  const command = name ? COMMANDS[name] : undefined;
  if (!command) {
    if (name && !['--help', '-h', 'help'].includes(name)) return fail(io, json, EXIT.usage, 'bad_usage', `unknown command "${name}"; run with --help for the list`);
    io.out(HELP);
    return name ? EXIT.done : EXIT.usage;
  }
  let parsed: { values: Opts & { json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, allowPositionals: true, strict: true,
      options: { roles: { type: 'string' }, label: { type: 'string' }, json: { type: 'boolean' } } }) as typeof parsed;
  } catch (err) {
    return fail(io, json, EXIT.usage, 'bad_usage', `${(err as Error).message.replace(/\. To specify a positional.*$/, '')}\n  usage: ${command.usage}`);
  }
  if (parsed.positionals.length !== command.positionals.length) {
    return fail(io, json, EXIT.usage, 'bad_usage', `${name} takes ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\n  usage: ${command.usage}`);
  }
  let connection: Awaited<ReturnType<typeof connect>> | undefined;
  try {
    const key = name === 'bootstrap' ? undefined : staffKeyFromEnv(env);
    connection = await connect();
    const admin: StaffPrincipal | undefined = key && await authorizeStaffKey(connection.orm.em.fork(), key, ['admin'], `npm run staff -- ${name}`);
    const { json: body, text } = await command.run(connection.orm, admin && { by: admin, via: 'cli' }, parsed.positionals, parsed.values);
    io.out(json ? JSON.stringify({ ok: true, command: name, result: body }, null, 2) : text);
    return EXIT.done;
  } catch (err) {
    if (err instanceof StaffKeyError) return fail(io, json, EXIT.notAllowed, 'not_allowed', err.message);
    if (!(err instanceof DomainError)) throw err;
    if (err.code === ErrorCode.ValidationFailed) return fail(io, json, EXIT.usage, 'bad_usage', err.message);
    if (err.code === ErrorCode.NotFound) return fail(io, json, EXIT.notFound, 'not_found', err.message);
    return fail(io, json, EXIT.refused, 'refused', err.message);
  } finally {
    await connection?.close?.();
  }
}

function fail(io: Io, json: boolean, code: number, outcome: string, message: string): number {
  if (json) io.out(JSON.stringify({ ok: false, outcome, message }, null, 2));
  else io.err(`${{ bad_usage: 'Bad usage', not_allowed: 'Not allowed', not_found: 'Not found', refused: 'Refused' }[outcome]}: ${message}`);
  return code;
}

function rolesOf(o: Opts) {
  if (!o.roles) throw new DomainError(ErrorCode.ValidationFailed, `--roles is required: one or more of ${STAFF_ROLES.join(', ')}, comma-separated`);
  return parseRoles(o.roles.split(',').map((r) => r.trim()).filter(Boolean));
}

async function existing(orm: MikroORM, name: string): Promise<StaffAccountWithKeys> {
  const account = await staffAccount(orm.em.fork(), name);
  if (!account) throw new DomainError(ErrorCode.NotFound, `there is no staff account ${name}`);
  return account;
}

async function update(orm: MikroORM, change: StaffChange, name: string, u: Parameters<typeof updateStaffAccount>[2]) {
  const account = await existing(orm, name);
  const row = (await updateStaffAccount(orm.em.fork(), account.id, u, change))!;
  return { json: { account: row }, text: `Done: staff:${row.name} has ${row.roles.join(', ')}${row.disabled_at ? ' and is disabled' : ''}` };
}

function issued(name: string, key: string, keyRow: StaffKeyRow, what: string) {
  return { json: { name, key, keyId: keyRow.id },
    text: `Done: staff:${name} ${what}. Its key, shown this once (hand it over privately; it is kept only as a digest):\n\n  ${key}\n` };
}

function describe(a: StaffAccountWithKeys): string {
  const keys = a.keys.map((k) => `    ${k.id}  ${k.hint.padEnd(14)} ${(k.label || '-').padEnd(16)} `
    + `${k.revoked_at ? `revoked ${new Date(k.revoked_at).toISOString()}` : `last used ${k.last_used_at ? new Date(k.last_used_at).toISOString() : 'never'}`}`);
  return [`${a.name.padEnd(20)} ${a.roles.join(',')}${a.disabled_at ? '  (disabled)' : ''}`, ...keys].join('\n');
}

/** The database from the environment (npm run dev's embedded PostgreSQL by default). */
async function connectFromEnv(): Promise<{ orm: MikroORM; close(): Promise<void> }> {
  const orm = await createOrm(loadConfig().DATABASE_URL ?? DEV_DATABASE, 2);
  return { orm, close: () => closeOrm(orm) };
}

if (require.main === module) {
  const io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
  runStaff(process.argv.slice(2), io, connectFromEnv).then((code) => process.exit(code), (err: unknown) => {
    io.err(`Not done: ${(err as Error)?.message ?? String(err)}`);
    process.exit(EXIT.refused);
  });
}
