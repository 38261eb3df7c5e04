/**
 * `npm run support -- <command>`: support's tools over the orders' workflows (src/support/actions.ts).
 * Each command needs the support role (or admin) on the staff key it runs with (src/cli/staff-key.ts);
 * who acts is the key's owner. Exit codes: 0 done, 1 refused (or not done: Temporal did not answer),
 * 2 bad usage, 3 not found, 4 not allowed (no key, a bad one, or one without the role).
 * Every command has --help; --json prints one JSON object on stdout instead of words (errors included).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../config';
import { dataConverterOf } from '../temporal/codec';
import { connectionOptions, targetFromConfig } from '../temporal/client';
import { closeOrm, createOrm } from '../db/orm';
import { ErrorCode } from '../domain/errors';
import { ORDER_STATUSES } from '../domain/order';
import { RESENDABLE_TEMPLATES } from '../domain/support';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '../contracts/shipment';
import type { OrderState } from '../contracts/order';
import type { SupportOutcome } from '../support/errors';
import { orderQuery } from '../support/find';
import { inDoubtMessages } from '../support/in-doubt';
import { actorOf, type StaffRole } from '../domain/staff';
import { DomainError } from '../domain/errors';
import { TASK_QUEUE } from '../contracts/temporal';
import { decideErasure, erasureStatus, startErasure } from '../privacy/erasure';
import { authorizeStaffKey, StaffKeyError, staffKeyFromEnv } from './staff-key';
import {
  cancelOrder, changeAddress, findOrders, holdOrder, orderStatus, recordCarrierEvent, refundOrder, resendNotification, retryPayment, revokeAccessTokens,
  outcomeOf, SupportError, type Caller, type Done, type SupportDeps,
} from '../support/actions';

export const EXIT = { done: 0, refused: 1, usage: 2, notFound: 3, notAllowed: 4 } as const;

/** Where `npm run dev` puts its servers: the defaults when no environment says otherwise. */
const DEV_TEMPORAL = '127.0.0.1:7233';
const DEV_DATABASE = 'postgres://commerce:commerce@127.0.0.1:54329/commerce';

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

type Options = Record<string, string | boolean | undefined>;
/** The connections, and who acts: the key's owner, once the key is checked for the command's roles. */
interface Session { deps: SupportDeps; caller: Caller }
interface Command {
  usage: string;
  about: string;
  options: ParseArgsConfig['options'];
  positionals: string[];
  /** Extra positionals allowed after the named ones (address fields). */
  rest?: boolean;
  /** The roles that may run it (admin always may). */
  roles: readonly StaffRole[];
  /**
   * Checks its arguments first, and only then asks for the session (connections, and the key checked):
   * bad usage never reaches Temporal or the database.
   */
  run(session: () => Promise<Session>, args: string[], opts: Options): Promise<{ json: unknown; text: string }>;
}

const SUPPORT: readonly StaffRole[] = ['support'];
const ADMIN: readonly StaffRole[] = ['admin'];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const reasonOption = { reason: { type: 'string' as const } };
const ADDRESS_FIELDS = ['name', 'line1', 'line2', 'city', 'region', 'postalCode', 'country'];

const COMMANDS: Record<string, Command> = {
  find: {
    usage: 'find [--order ID] [--customer ID] [--status STATUS] [--min-total N] [--max-total N] [--since DATE] [--until DATE] [--date-field StartTime|ExecutionTime] [--limit N]',
    about: 'Find orders by a visibility query over their search attributes (the same query works in the Temporal UI).\n'
      + `  Statuses: ${ORDER_STATUSES.join(', ')}. Totals are minor units (cents). Dates are ISO 8601.`,
    options: { order: { type: 'string' }, customer: { type: 'string' }, status: { type: 'string' }, 'min-total': { type: 'string' },
      'max-total': { type: 'string' }, since: { type: 'string' }, until: { type: 'string' }, 'date-field': { type: 'string' }, limit: { type: 'string' } },
    positionals: [], roles: SUPPORT,
    async run(session, _args, o) {
      const filters = { orderId: str(o.order), customerId: str(o.customer), status: str(o.status), minTotal: int(o['min-total'], '--min-total'),
        maxTotal: int(o['max-total'], '--max-total'), since: str(o.since), until: str(o.until),
        dateField: str(o['date-field']) as 'StartTime' | 'ExecutionTime' | undefined, limit: int(o.limit, '--limit') };
      orderQuery(filters);
      const { query, orders } = await findOrders((await session()).deps.client, filters);
      const lines = orders.map((r) => `${r.orderId}  ${(r.status ?? '?').padEnd(22)} ${String(r.total ?? '?').padStart(9)}  `
        + `${r.customerId ?? '(guest)'.padEnd(36)}  ${r.startTime}  ${r.workflowStatus}`);
      return { json: { query, orders }, text: [`query: ${query}`, `${orders.length} order${orders.length === 1 ? '' : 's'}`, ...lines].join('\n') };
    },
  },
  'in-doubt': {
    usage: 'in-doubt [--limit N]',
    about: 'Messages that may or may not have gone (a send was cut off, or the provider did not answer), oldest first.\n'
      + '  They are never sent again by themselves: ask the customer, then `resend <orderId> <template> --channel C [--occurrence N]` if need be.',
    options: { limit: { type: 'string' } }, positionals: [], roles: SUPPORT,
    async run(session, _args, o) {
      const limit = int(o.limit, '--limit') ?? 100;
      const messages = await inDoubtMessages((await session()).deps.orm, limit);
      const lines = messages.map((m) => {
        const repeat = m.occurrence > 1 ? ` #${m.occurrence}` : '';
        const resend = `resend: npm run support -- resend ${m.orderId} ${m.template} --channel ${m.channel}${repeat ? ` --occurrence ${m.occurrence}` : ''}`;
        return `${m.claimedAt}  ${m.orderId ? `order ${m.orderId}` : `cart ${m.cartId}`}  ${m.channel} "${m.template}"${repeat}`
          + `${m.note ? `  ${m.note}` : ''}${m.orderId ? `\n    ${resend}` : ''}`;
      });
      return { json: { messages }, text: [`${messages.length} message${messages.length === 1 ? '' : 's'} in doubt`, ...lines].join('\n') };
    },
  },
  status: {
    usage: 'status <orderId>',
    about: 'The order\'s live status from its workflow: state, hold, payment, step timeline, pending compensations.',
    options: {}, positionals: ['orderId'], roles: SUPPORT,
    async run(session, [orderId]) {
      const state = await orderStatus((await session()).deps, orderId);
      return { json: state, text: describeState(state) };
    },
  },
  cancel: {
    usage: 'cancel <orderId> --reason TEXT',
    about: 'Cancel the order: its compensations run (payment voided or refunded, stock released, customer told). Refused once it ships.',
    options: reasonOption, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(required(o.reason, '--reason'), session, ({ deps: d, caller }, reason) => cancelOrder(d, caller, orderId, reason)),
  },
  hold: {
    usage: 'hold <orderId> --reason TEXT',
    about: 'Hold the order between its steps (e.g. for a fraud check) until released.',
    options: reasonOption, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(required(o.reason, '--reason'), session, ({ deps: d, caller }, reason) => holdOrder(d, caller, orderId, reason, true)),
  },
  release: {
    usage: 'release <orderId> --reason TEXT',
    about: 'Release an order on hold; it carries on from where it stopped.',
    options: reasonOption, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(required(o.reason, '--reason'), session, ({ deps: d, caller }, reason) => holdOrder(d, caller, orderId, reason, false)),
  },
  address: {
    usage: 'address <orderId> FIELD=VALUE... [--reason TEXT]',
    about: `Change fields of the shipping address before it ships (the rest stay). Fields: ${ADDRESS_FIELDS.join(', ')}.\n`
      + '  Example: address <orderId> line1="1 New Street" postalCode="N1 9GU" --reason "customer moved"',
    options: reasonOption, positionals: ['orderId'], rest: true, roles: SUPPORT,
    run: (session, [orderId, ...pairs], o) => done(addressFields(pairs), session,
      ({ deps: d, caller }, fields) => changeAddress(d, caller, orderId, fields, str(o.reason) ?? 'address changed by support')),
  },
  resend: {
    usage: 'resend <orderId> <template> [--channel email|sms] [--occurrence N] [--reason TEXT]',
    about: `Send a message the order was already sent once more. Templates: ${RESENDABLE_TEMPLATES.join(', ')}.\n`
      + '  A message sent more than once (a parcel out for delivery twice) resends the latest, or the Nth with --occurrence N.',
    options: { ...reasonOption, channel: { type: 'string' }, occurrence: { type: 'string' } }, positionals: ['orderId', 'template'], roles: SUPPORT,
    run: (session, [orderId, template], o) => done({ channel: channelOf(str(o.channel)), occurrence: occurrenceOf(o.occurrence) }, session,
      ({ deps: d, caller }, { channel, occurrence }) => resendNotification(d, caller, orderId, template, channel, str(o.reason) ?? 'resent by support', occurrence)),
  },
  refund: {
    usage: 'refund <orderId> [--amount AMOUNT | --lines SKU:QTY,…] --reason TEXT',
    about: 'Refund captured money: all that is left, or AMOUNT (minor units like 1000, or 10.00 in the order\'s currency);\n'
      + '  never more than captured less refunded. Before capture nothing was charged: a full refund voids the authorization\n'
      + '  by cancelling the order; a partial one is refused. --lines refunds quantities of lines instead (e.g. MUG-1:2,TEE-1:1),\n'
      + '  each giving back its share of what it was charged, discounts and tax included.',
    options: { ...reasonOption, amount: { type: 'string' }, lines: { type: 'string' } }, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(required(o.reason, '--reason'), session, ({ deps: d, caller }, reason) =>
      refundOrder(d, caller, orderId, str(o.amount), reason, linesOption(str(o.lines)))),
  },
  'retry-payment': {
    usage: 'retry-payment <orderId> [--reason TEXT]',
    about: 'For a payment stuck waiting for the customer\'s 3-D Secure: ask the payment provider whether it was completed\n'
      + '  (e.g. the webhook was lost) and pass its answer to the payment workflow. Refused in any other state, with the reason.',
    options: reasonOption, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(str(o.reason) ?? 'payment re-checked by support', session, ({ deps: d, caller }, reason) => retryPayment(d, caller, orderId, reason)),
  },
  'revoke-access': {
    usage: 'revoke-access <orderId> --reason TEXT',
    about: 'Revoke the order\'s access token (shared or leaked): it is refused from then on like a wrong one, and a replay of\n'
      + '  the checkout answers without one. Staff keep access. Kept in the audit trail.',
    options: reasonOption, positionals: ['orderId'], roles: SUPPORT,
    run: (session, [orderId], o) => done(required(o.reason, '--reason'), session, ({ deps: d, caller }, reason) => revokeAccessTokens(d, caller, orderId, reason)),
  },
  'carrier-event': {
    usage: 'carrier-event <shipmentId> <status> [--reason TEXT] [--event-id ID] [--occurred-at ISO]',
    about: `Record a carrier scan by hand (signals the shipment's tracking workflow). Statuses: ${SHIPMENT_STATUSES.join(', ')}.`,
    options: { ...reasonOption, 'event-id': { type: 'string' }, 'occurred-at': { type: 'string' } }, positionals: ['shipmentId', 'status'], roles: SUPPORT,
    run: (session, [shipmentId, status], o) => done(carrierEventOf(status, o), session, ({ deps: d, caller }, event) => recordCarrierEvent(d, caller, shipmentId, status,
      str(o.reason) ?? 'recorded by support', event)),
  },
  erase: {
    usage: 'erase <customerId>',
    about: 'Erase a customer (GDPR): the account closes now; their personal data is replaced with tombstones once no order of theirs\n'
      + '  is between payment and delivery (the gdpr-erasure-<customerId> workflow waits for it). Orders and money stay for the accounts.',
    options: {}, positionals: ['customerId'], roles: ADMIN,
    async run(session, [customerId]) {
      const { deps, caller } = await session();
      const { workflowId } = await privacyStep(() => startErasure({ client: deps.client, taskQueue: deps.taskQueue ?? TASK_QUEUE },
        deps.orm.em.fork(), customerId, actorOf(caller.staff)));
      return { json: { workflowId, customerId }, text: `Erasure of customer ${customerId} started (${workflowId}); the account is closed.` };
    },
  },
  erasure: {
    usage: 'erasure <customerId>',
    about: 'Where a customer\'s erasure stands: waiting for which orders, erased (rows changed per table), or withdrawn.',
    options: {}, positionals: ['customerId'], roles: SUPPORT,
    async run(session, [customerId]) {
      const state = await privacyStep(async () => erasureStatus((await session()).deps.client, customerId));
      const detail = state.stage === 'waiting_for_orders' ? `: orders ${state.waitingFor.join(', ') || '(looking)'}`
        : state.rowsChanged ? `: ${Object.entries(state.rowsChanged).filter(([, n]) => n > 0).map(([t, n]) => `${t} ${n}`).join(', ')}` : '';
      return { json: state, text: `customer ${customerId}: ${state.stage}${detail}` };
    },
  },
  'erasure-decide': {
    usage: 'erasure-decide <customerId> erase_now|withdraw',
    about: 'While an erasure waits for an order: erase now (the order loses its contact details) or withdraw it (the account opens again).',
    options: {}, positionals: ['customerId', 'decision'], roles: ADMIN,
    async run(session, [customerId, decision]) {
      if (decision !== 'erase_now' && decision !== 'withdraw') throw new UsageError('the decision is erase_now or withdraw');
      const { deps, caller } = await session();
      const state = await privacyStep(() => decideErasure(deps.client, customerId, { actor: actorOf(caller.staff), decision }));
      return { json: state, text: `customer ${customerId}: ${state.stage}` };
    },
  },
};

/** The privacy steps speak DomainError; the CLI's exit codes come from SupportError's kinds. */
async function privacyStep<T>(step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof DomainError && !(err instanceof SupportError)) throw new SupportError(err.code, err.message);
    throw err;
  }
}

const GLOBAL_OPTIONS = { json: { type: 'boolean' as const }, help: { type: 'boolean' as const, short: 'h' }, 'request-id': { type: 'string' as const } };

const HELP = `Usage: npm run support -- <command> [options]

Commands:
${Object.values(COMMANDS).map((c) => `  ${c.usage}`).join('\n')}

Every command: --help, --json (one JSON object on stdout), --request-id UUID (repeat a request safely: the same id is the same request).
Who acts is the owner of your staff key, which needs the support role (or admin): STAFF_KEY=staff_…, or STAFF_KEY_FILE=<file holding it>;
under npm run dev its admin key (.data/staff-key) is used by itself.
Exit codes: 0 done, 1 refused (the reason is printed) or not done, 2 bad usage, 3 not found, 4 not allowed (no key, a bad one, or no role).
Environment: TEMPORAL_ADDRESS (default ${DEV_TEMPORAL}, npm run dev's), TEMPORAL_NAMESPACE, DATABASE_URL (default npm run dev's
embedded PostgreSQL): actions are sent to the orders' workflows; the database is read, and holds the audit trail (support_actions).`;

class UsageError extends Error {}

/** Runs one command line; returns the exit code. `connect` is only called once the arguments are valid. */
export async function runSupport(argv: string[], io: Io, connect: () => Promise<SupportDeps & { close?(): Promise<void> }>,
  env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const [name, ...rest] = argv;
  const json = rest.includes('--json') || argv.includes('--json');
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.out(HELP);
    return name ? EXIT.done : EXIT.usage;
  }
  const command = COMMANDS[name];
  if (!command) return usage(io, json, `unknown command "${name}"; run with --help for the list`);
  let parsed: { values: Options; positionals: string[] };
  try {
    parsed = parseArgs({ args: rest, options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    return usage(io, json, `${(err as Error).message.replace(/\. To specify a positional.*$/, '')}\n  usage: ${command.usage}`);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.out(`Usage: npm run support -- ${command.usage}\n\n  ${command.about}\n\n  Needs the ${command.roles.join(' or ')} role (or admin) on STAFF_KEY.`
      + '\n  Also: --json, --request-id UUID. Exit codes: 0 done, 1 refused, 2 bad usage, 3 not found, 4 not allowed.');
    return EXIT.done;
  }
  if (positionals.length < command.positionals.length || (!command.rest && positionals.length > command.positionals.length)) {
    return usage(io, json, `${name} takes ${command.positionals.map((p) => `<${p}>`).join(' ') || 'no arguments'}\n  usage: ${command.usage}`);
  }
  const idArg = command.positionals.findIndex((p) => p.endsWith('Id'));
  if (idArg >= 0 && !UUID.test(positionals[idArg])) return usage(io, json, `<${command.positionals[idArg]}> must be a UUID, not "${positionals[idArg]}"`);
  const requestId = str(values['request-id']);
  if (requestId !== undefined && !UUID.test(requestId)) return usage(io, json, '--request-id must be a UUID');
  let key: ReturnType<typeof staffKeyFromEnv>;
  try {
    key = staffKeyFromEnv(env);
  } catch (err) {
    return notAllowed(io, json, name, err as StaffKeyError);
  }

  let deps: (SupportDeps & { close?(): Promise<void> }) | undefined;
  let session: Session | undefined;
  try {
    const { json: body, text } = await command.run(async () => {
      deps ??= await connect();
      const staff = await authorizeStaffKey(deps.orm.em.fork(), key, command.roles, `npm run support -- ${name}`);
      session ??= { deps, caller: { staff, via: 'cli', requestId: requestId ?? randomUUID() } };
      return session;
    }, positionals, values);
    io.out(json ? JSON.stringify({ ok: true, command: name, result: body }, null, 2) : text);
    return EXIT.done;
  } catch (err) {
    if (err instanceof UsageError) return usage(io, json, err.message);
    if (err instanceof StaffKeyError) return notAllowed(io, json, name, err);
    if (!(err instanceof SupportError)) throw err;
    return notDone(io, json, name, err);
  } finally {
    await deps?.close?.();
  }
}

function notAllowed(io: Io, json: boolean, command: string, err: StaffKeyError): number {
  if (json) io.out(JSON.stringify({ ok: false, command, outcome: 'not_allowed', message: err.message }, null, 2));
  else io.err(`Not allowed: ${err.message}`);
  return EXIT.notAllowed;
}

/** How each kind of "not done" is told and exits; the error's code picks the kind (outcomeOf, src/support/errors.ts). */
const NOT_DONE: Record<Exclude<SupportOutcome, 'bad_request'>, { outcome: string; words: string; exit: number }> = {
  refused: { outcome: 'refused', words: 'Refused', exit: EXIT.refused },
  not_found: { outcome: 'not_found', words: 'Not found', exit: EXIT.notFound },
  unavailable: { outcome: 'not_done', words: 'Not done', exit: EXIT.refused },
};

function notDone(io: Io, json: boolean, command: string, err: SupportError): number {
  const kind = outcomeOf(err.code);
  if (kind === 'bad_request') return usage(io, json, err.reason);
  const { outcome, words, exit } = NOT_DONE[kind];
  if (json) io.out(JSON.stringify({ ok: false, command, outcome, code: err.code, message: err.reason }, null, 2));
  else io.err(`${words}: ${err.reason}`);
  return exit;
}

function usage(io: Io, json: boolean, message: string): number {
  if (json) io.out(JSON.stringify({ ok: false, outcome: 'bad_usage', message }, null, 2));
  else io.err(`Bad usage: ${message}`);
  return EXIT.usage;
}

/** Runs an action whose arguments (`checked`, validated before anything connects) are good. */
async function done<A, T>(checked: A, session: () => Promise<Session>, action: (session: Session, checked: A) => Promise<Done<T>>)
: Promise<{ json: unknown; text: string }> {
  const result = await action(await session(), checked);
  return { json: result, text: `Done: ${result.summary}\n  (audit ${result.auditId})` };
}

function describeState(s: OrderState): string {
  const lines = [
    `order ${s.orderId}: ${s.status}${s.held ? ` (on hold: ${s.holdReason ?? 'no reason given'})` : ''}`,
    `payment: ${s.payment.status}${s.payment.providerRef ? ` (${s.payment.providerRef})` : ''}${s.payment.declineCode ? `, ${s.payment.declineCode}` : ''}`,
    ...(s.failure ? [`failure: ${s.failure.code}: ${s.failure.message}`] : []),
    ...(s.cancelReason ? [`cancel reason: ${s.cancelReason}`] : []),
    `pending compensations: ${s.pendingCompensations.length ? s.pendingCompensations.join(', ') : 'none'}`,
    'timeline:',
    ...s.timeline.map((t) => `  ${t.at}  ${t.step.padEnd(28)} ${t.status}${t.detail ? `  ${t.detail}` : ''}`),
  ];
  return lines.join('\n');
}

function addressFields(pairs: string[]): Record<string, string> {
  if (pairs.length === 0) throw new UsageError(`give at least one FIELD=VALUE; fields: ${ADDRESS_FIELDS.join(', ')}`);
  const fields: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    const key = pair.slice(0, at);
    if (at <= 0 || !ADDRESS_FIELDS.includes(key)) throw new UsageError(`"${pair}" is not FIELD=VALUE with a field of ${ADDRESS_FIELDS.join(', ')}`);
    fields[key] = pair.slice(at + 1).trim();
  }
  return fields;
}

function carrierEventOf(status: string, o: Options): { eventId?: string; occurredAt?: string } {
  if (!SHIPMENT_STATUSES.includes(status as ShipmentStatus)) throw new UsageError(`"${status}" is not a shipment status; one of: ${SHIPMENT_STATUSES.join(', ')}`);
  const eventId = str(o['event-id']);
  if (eventId !== undefined && !/^[\w.:-]{1,100}$/.test(eventId)) throw new UsageError('--event-id must be 1 to 100 letters, digits or . _ : -');
  return { eventId, occurredAt: isoOrUndefined(str(o['occurred-at'])) };
}

function channelOf(value: string | undefined): 'email' | 'sms' {
  if (value === undefined || value === 'email' || value === 'sms') return value ?? 'email';
  throw new UsageError(`--channel must be email or sms, not "${value}"`);
}

function occurrenceOf(value: string | boolean | undefined): number | undefined {
  const n = int(value, '--occurrence');
  if (n === 0) throw new UsageError('--occurrence counts from 1 (the first message of the template)');
  return n;
}

const str = (v: string | boolean | undefined): string | undefined => (typeof v === 'string' ? v : undefined);

/** "MUG-1:2,TEE-1:1" as lines to refund. */
function linesOption(text: string | undefined): { sku: string; quantity: number }[] | undefined {
  if (text === undefined) return undefined;
  return text.split(',').map((part) => {
    const match = /^([A-Z0-9][A-Z0-9-]{1,63}):(\d{1,3})$/.exec(part.trim());
    if (!match || Number(match[2]) < 1) throw new SupportError(ErrorCode.ValidationFailed, `--lines takes SKU:QUANTITY pairs separated by commas, such as MUG-1:2; got "${part}"`);
    return { sku: match[1], quantity: Number(match[2]) };
  });
}

function required(v: string | boolean | undefined, flag: string): string {
  const value = str(v)?.trim();
  if (!value) throw new UsageError(`${flag} is required: say why, in a few words`);
  return value;
}

function int(v: string | boolean | undefined, flag: string): number | undefined {
  const value = str(v);
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value)) throw new UsageError(`${flag} must be a whole number, not "${value}"`);
  return Number(value);
}

function isoOrUndefined(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if (Number.isNaN(Date.parse(value))) throw new UsageError(`--occurred-at must be an ISO 8601 time, not "${value}"`);
  return new Date(value).toISOString();
}

/** The real connections, from the environment (npm run dev's servers by default). */
async function connectFromEnv(): Promise<SupportDeps & { close(): Promise<void> }> {
  const config = loadConfig();
  const target = targetFromConfig(config, DEV_TEMPORAL);
  const connection = await Connection.connect({ ...connectionOptions(target), connectTimeout: 5_000 });
  const orm = await createOrm(config.DATABASE_URL ?? DEV_DATABASE, 2);
  return {
    // The workers' codec: an address change or a reason sent from here reaches Temporal encrypted (src/temporal/codec.ts).
    client: new Client({ connection, namespace: target.namespace, dataConverter: dataConverterOf(target.payloadCodec) }),
    orm, taskQueue: config.TEMPORAL_TASK_QUEUE,
    close: async () => {
      await closeOrm(orm);
      await connection.close();
    },
  };
}

if (require.main === module) {
  const io: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };
  runSupport(process.argv.slice(2), io, connectFromEnv).then((code) => process.exit(code), (err: unknown) => {
    io.err(`Not done: ${(err as Error)?.message ?? String(err)}`);
    process.exit(EXIT.refused);
  });
}
