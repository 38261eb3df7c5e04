/**
 * Staff: people with accounts, each holding one or more roles, who act through personal API keys.
 * Every staff route and support command names the roles it needs; `admin` may do everything.
 * Pure rules only: the store keeps the accounts and the keys' digests (src/store/staff.ts), the
 * router and the CLIs ask `mayAct` (src/api/access.ts, src/cli/staff-key.ts).
 */
import { DomainError, ErrorCode } from './errors';

/**
 * - support: orders and their customers (find, cancel, hold, refund, resend, notices)
 * - warehouse: stock on the shelf and packing
 * - catalog: the catalog and what it shows (products, prices, stock levels to read)
 * - admin: everything, and the staff accounts and keys themselves
 */
export const STAFF_ROLES = ['support', 'warehouse', 'catalog', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Every staff key starts so: a leaked one is recognisable (secret scanners, logs, a pasted chat message). */
export const STAFF_KEY_PREFIX = 'staff_';

/** A login-like name, recorded as `staff:<name>` in the audit trail and the orders' timelines. */
export const STAFF_NAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;

/** Who is acting: the owner of the key the request or the command carried. */
export interface StaffPrincipal {
  id: string;
  name: string;
  roles: StaffRole[];
  keyId: string;
}

/** An account with one of `allowed` may act; an admin may always act. */
export function mayAct(roles: readonly StaffRole[], allowed: readonly StaffRole[]): boolean {
  return roles.includes('admin') || roles.some((role) => allowed.includes(role));
}

/** The actor string workflows, timelines and the audit trail carry. */
export function actorOf(staff: Pick<StaffPrincipal, 'name'>): string {
  return `staff:${staff.name}`;
}

export function looksLikeStaffKey(token: string): boolean {
  return token.startsWith(STAFF_KEY_PREFIX);
}

/** The part of a key shown in lists, enough to tell one's own keys apart and recognise a leaked one. */
export function keyHint(key: string): string {
  return `${key.slice(0, STAFF_KEY_PREFIX.length + 6)}…`;
}

/** The roles asked for, checked and without repeats; at least one. */
export function parseRoles(given: readonly string[]): StaffRole[] {
  const unknown = given.filter((r) => !(STAFF_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0 || given.length === 0) {
    throw new DomainError(ErrorCode.ValidationFailed,
      `${given.length === 0 ? 'Give at least one role' : `Unknown role ${unknown.map((r) => `"${r}"`).join(', ')}`}: roles are ${STAFF_ROLES.join(', ')}.`,
      { in: 'roles', roles: STAFF_ROLES });
  }
  return STAFF_ROLES.filter((r) => given.includes(r));
}

export function checkStaffName(name: string): string {
  if (!STAFF_NAME.test(name)) {
    throw new DomainError(ErrorCode.ValidationFailed,
      `"${name}" is not a staff name: 1 to 64 lower-case letters, digits or . _ @ -, starting with a letter or digit.`, { in: 'name' });
  }
  return name;
}

/** 403: a valid key whose owner lacks the role. */
export function forbidden(staff: Pick<StaffPrincipal, 'name' | 'roles'>, allowed: readonly StaffRole[], what: string): DomainError {
  const needed = [...allowed.filter((r) => r !== 'admin'), 'admin'];
  return new DomainError(ErrorCode.Forbidden,
    `${what} needs the ${needed.join(' or ')} role; staff:${staff.name} has ${staff.roles.join(', ')}. An admin can grant it.`,
    { needs: needed, has: staff.roles });
}
