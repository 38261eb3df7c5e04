/**
 * The staff key a command-line tool acts with (`npm run support`, `npm run staff`): who acts is the
 * key's owner, and each command needs a role, as each staff route does. The key comes from
 * STAFF_KEY, else from the file named by STAFF_KEY_FILE, else from `npm run dev`'s own admin key
 * (.data/staff-key), so a laptop needs no setup.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { EntityManager } from '@mikro-orm/postgresql';
import { forbidden, looksLikeStaffKey, mayAct, type StaffPrincipal, type StaffRole } from '../domain/staff';
import { staffOfKey } from '../store/staff';
import { PROJECT_ROOT } from '../temporal/binaries';

/** Where `npm run dev` keeps its admin key (DEV_DATA_DIR, default .data/). */
export function devStaffKeyFile(env: NodeJS.ProcessEnv = process.env): string {
  return join(resolve(env.DEV_DATA_DIR || join(PROJECT_ROOT, '.data')), 'staff-key');
}

/** A refusal to act: no key, an unknown one, or one without the role. */
export class StaffKeyError extends Error {}

/** The key from the environment, and where it came from (for messages); throws StaffKeyError when there is none. */
export function staffKeyFromEnv(env: NodeJS.ProcessEnv = process.env): { key: string; source: string } {
  if (env.STAFF_KEY) return { key: env.STAFF_KEY.trim(), source: 'STAFF_KEY' };
  const file = env.STAFF_KEY_FILE || devStaffKeyFile(env);
  if (!env.STAFF_KEY_FILE && !existsSync(file)) {
    throw new StaffKeyError('No staff key: set STAFF_KEY (or STAFF_KEY_FILE, a file holding it) to your key (staff_…); an admin issues keys '
      + 'with `npm run staff -- key <name>`. Under `npm run dev`, its admin key in .data/staff-key is used by itself.');
  }
  try {
    return { key: readFileSync(file, 'utf8').trim(), source: file };
  } catch (err) {
    throw new StaffKeyError(`Could not read the staff key from ${file} (STAFF_KEY_FILE): ${(err as Error).message}`);
  }
}

/** The key's owner, if the key is live and its account has one of `roles` (admin: any); else StaffKeyError saying why. */
export async function authorizeStaffKey(em: EntityManager, given: { key: string; source: string }, roles: readonly StaffRole[], what: string)
  : Promise<StaffPrincipal> {
  const staff = looksLikeStaffKey(given.key) ? await staffOfKey(em, given.key) : undefined;
  if (!staff) {
    throw new StaffKeyError(`The staff key from ${given.source} is not valid: it is unknown, revoked, or its account is disabled`
      + `${looksLikeStaffKey(given.key) ? '' : ' (staff keys start with staff_)'}. Ask an admin for a new one.`);
  }
  if (!mayAct(staff.roles, roles)) throw new StaffKeyError(forbidden(staff, roles, what).message);
  return staff;
}
