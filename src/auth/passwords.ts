/**
 * Password hashing: argon2id through @node-rs/argon2 (a maintained Rust binding with prebuilt
 * binaries, no install script), with the cost from configuration (ARGON2_*). A hash made under
 * other parameters still verifies, and needsRehash says so, so sign-in can upgrade it.
 */
import { Algorithm, hash, parseOptions, verify } from '@node-rs/argon2';
import type { Argon2Params } from '../domain/passwords';

export type { Argon2Params };

export class PasswordHasher {
  /** A hash no password matches, made at the current cost as soon as the hasher exists (see verifyNothing). */
  private readonly dummy: Promise<string>;

  constructor(readonly params: Argon2Params) {
    this.dummy = this.hash('a password no account has, hashed at the current cost');
    // Awaited by verifyNothing, which reports a failure; this only keeps it from counting as unhandled meanwhile.
    this.dummy.catch(() => undefined);
  }

  /** A PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash) of a password already normalized (src/domain/passwords.ts). */
  hash(password: string): Promise<string> {
    return hash(password, { algorithm: Algorithm.Argon2id, memoryCost: this.params.memoryKiB, timeCost: this.params.iterations,
      parallelism: this.params.parallelism });
  }

  /** False for a wrong password, and for a stored value that is not an argon2 hash (an account made without a password). */
  async verify(stored: string, password: string): Promise<boolean> {
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }

  /**
   * What checking a password costs, spent when there is no account to check it against: an unknown
   * e-mail address then takes as long to refuse as a wrong password. Always false.
   */
  async verifyNothing(password: string): Promise<false> {
    await this.verify(await this.dummy, password);
    return false;
  }

  /** The stored hash was made with other parameters (or another algorithm): hash the password again now that we have it. */
  needsRehash(stored: string): boolean {
    try {
      const o = parseOptions(stored);
      return o.algorithm !== Algorithm.Argon2id || o.memoryCost !== this.params.memoryKiB || o.timeCost !== this.params.iterations
        || o.parallelism !== this.params.parallelism;
    } catch {
      return true;
    }
  }
}
