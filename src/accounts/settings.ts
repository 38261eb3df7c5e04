/** What customer accounts are configured with (docs/accounts.md), read once from the validated configuration. */
import { durationMs, loadConfig, type Config } from '../config';
import type { Argon2Params } from '../domain/passwords';

export interface AccountSettings {
  /** The cost of a password hash (ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_PARALLELISM). */
  argon2: Argon2Params;
  /** A session unused this long ends (SESSION_IDLE_TIMEOUT). */
  sessionIdleMs: number;
  /** A session ends this long after sign-in, however busy (SESSION_MAX_AGE). */
  sessionMaxAgeMs: number;
  /** How long a password-reset link works (PASSWORD_RESET_LINK_TTL). */
  resetLinkTtlMs: number;
  /** How long an e-mail verification link works (EMAIL_VERIFICATION_LINK_TTL). */
  verifyLinkTtlMs: number;
  /** Where the storefront's account pages are (STOREFRONT_URL, else PUBLIC_BASE_URL): the e-mailed links lead there. */
  storefrontUrl: string;
}

type AccountConfig = Pick<Config, 'ARGON2_MEMORY_KIB' | 'ARGON2_ITERATIONS' | 'ARGON2_PARALLELISM' | 'SESSION_IDLE_TIMEOUT' | 'SESSION_MAX_AGE'
  | 'PASSWORD_RESET_LINK_TTL' | 'EMAIL_VERIFICATION_LINK_TTL' | 'STOREFRONT_URL' | 'PUBLIC_BASE_URL'>;

export function accountSettings(c: AccountConfig = loadConfig({})): AccountSettings {
  return {
    argon2: { memoryKiB: c.ARGON2_MEMORY_KIB, iterations: c.ARGON2_ITERATIONS, parallelism: c.ARGON2_PARALLELISM },
    sessionIdleMs: durationMs(c.SESSION_IDLE_TIMEOUT),
    sessionMaxAgeMs: durationMs(c.SESSION_MAX_AGE),
    resetLinkTtlMs: durationMs(c.PASSWORD_RESET_LINK_TTL),
    verifyLinkTtlMs: durationMs(c.EMAIL_VERIFICATION_LINK_TTL),
    storefrontUrl: (c.STOREFRONT_URL ?? `${(c.PUBLIC_BASE_URL ?? 'http://127.0.0.1:3000').replace(/\/$/, '')}/shop`).replace(/\/$/, ''),
  };
}
