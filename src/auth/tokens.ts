/**
 * Bearer tokens: random, shown once, stored only as their SHA-256 digest (a leaked table or config
 * file leaks no token). Shared by the API (checking them), the store (keeping digests) and the CLI
 * (making staff keys and order access tokens).
 */
import { createHash, randomBytes } from 'node:crypto';

export function sha256Hex(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex');
}

/** A new random token (256 bits), e.g. the random part of a staff key, or an order access token. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * Every customer session token begins with this, so one found in a log, a paste or a repository is
 * recognisable (and a secret scanner can look for it); staff API keys begin with `staff_`, order
 * access tokens with neither. The API tells them apart by prefix (callerOf, src/api/access.ts).
 */
export const SESSION_TOKEN_PREFIX = 'sess_';

/** A new customer session token: the prefix and 256 random bits. */
export function newSessionToken(): string {
  return `${SESSION_TOKEN_PREFIX}${newToken()}`;
}
