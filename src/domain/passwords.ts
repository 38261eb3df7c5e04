/**
 * What a customer's password may be, after NIST SP 800-63B: long enough, not absurdly long, and not
 * one everybody tries first. No composition rules (a digit, a capital...): they make passwords harder
 * to remember, not to guess. Pure functions; hashing is src/auth/passwords.ts.
 */
import { COMMON_PASSWORDS } from './common-passwords';
import { DomainError, ErrorCode } from './errors';

export const PASSWORD_MIN_LENGTH = 8;
/** Long enough for any passphrase; the bound keeps a request from handing the hash megabytes. */
export const PASSWORD_MAX_LENGTH = 256;

/**
 * The form a password is hashed and compared in: NFKC, so the same password typed on two keyboards
 * (a precomposed "é" or "e" + combining accent, full-width digits) is the same password.
 */
export function normalizePassword(password: string): string {
  return password.normalize('NFKC');
}

/** Characters as a person counts them (code points of the normalized form), not UTF-16 units. */
export function passwordLength(password: string): number {
  return [...normalizePassword(password)].length;
}

export interface Argon2Params {
  /** Memory per hash, in KiB (m). */
  memoryKiB: number;
  /** Passes over that memory (t). */
  iterations: number;
  /** Lanes (p); each runs on a thread of its own. */
  parallelism: number;
}

/**
 * OWASP's Password Storage Cheat Sheet: argon2id with at least one of these (equivalent) settings.
 * The first is the one bench/accounts compares the configured cost with.
 */
export const OWASP_MINIMUMS: readonly Argon2Params[] = [
  { memoryKiB: 19456, iterations: 2, parallelism: 1 },
  { memoryKiB: 47104, iterations: 1, parallelism: 1 },
  { memoryKiB: 12288, iterations: 3, parallelism: 1 },
  { memoryKiB: 9216, iterations: 4, parallelism: 1 },
  { memoryKiB: 7168, iterations: 5, parallelism: 1 },
];

/** True when the parameters cost at least one of OWASP's minimum settings. */
export function meetsOwaspMinimum(p: Pick<Argon2Params, 'memoryKiB' | 'iterations'>): boolean {
  return OWASP_MINIMUMS.some((min) => p.memoryKiB >= min.memoryKiB && p.iterations >= min.iterations);
}

export type PasswordProblem = 'too_short' | 'too_long' | 'common' | 'same_as_email';

/** Why this password would be refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, email?: string): PasswordProblem | undefined {
  const normalized = normalizePassword(password);
  const length = [...normalized].length;
  if (length < PASSWORD_MIN_LENGTH) return 'too_short';
  if (length > PASSWORD_MAX_LENGTH) return 'too_long';
  const lower = normalized.toLowerCase();
  if (COMMON_PASSWORDS.has(lower) || isRepeatOrRun(lower)) return 'common';
  if (email && [email.toLowerCase(), email.toLowerCase().split('@')[0]].includes(lower)) return 'same_as_email';
  return undefined;
}

const ADVICE: Record<PasswordProblem, string> = {
  too_short: `Choose a password of at least ${PASSWORD_MIN_LENGTH} characters; a few unrelated words make a good one.`,
  too_long: `Choose a password of at most ${PASSWORD_MAX_LENGTH} characters.`,
  common: 'This password is one of the most common ones, which attackers try first: choose another.',
  same_as_email: 'Choose a password other than your e-mail address.',
};

/** The normalized password, or a weak_password error that says what to do instead. */
export function acceptablePassword(password: string, email?: string): string {
  const problem = passwordProblem(password, email);
  if (problem) {
    throw new DomainError(ErrorCode.WeakPassword, ADVICE[problem], { reason: problem, minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
  }
  return normalizePassword(password);
}

/** One character repeated (aaaaaaaa) or a run up or down the alphabet or the digits (12345678, 87654321, abcdefgh). */
function isRepeatOrRun(s: string): boolean {
  const codes = [...s].map((c) => c.codePointAt(0) as number);
  const step = codes[1] - codes[0];
  return Math.abs(step) <= 1 && codes.every((code, i) => i === 0 || code - codes[i - 1] === step);
}
