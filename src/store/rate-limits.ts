/**
 * Rate-limit counters in PostgreSQL, shared by every API replica: rate-limiter-flexible's
 * RateLimiterPostgres on the plain-SQL pool (src/db/sql.ts), over the `rate_limits` table its
 * migration creates (the library is told the table exists, so it never creates it at run time).
 * Each counted attempt is one atomic upsert (insert … on conflict do update … returning), so two
 * replicas counting the same key at once both count. Windows are fixed: the first attempt starts
 * one, and it ends `windowSeconds` later, by the clock of the replica that started it.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';
import { sqlPoolOf } from '../db/sql';

export interface LimitSpec { points: number; windowSeconds: number }

/** What a counter says after an attempt, or when asked. */
export interface Tally { used: number; remaining: number; msBeforeReset: number; over: boolean }

export interface Counter {
  /** Counts one attempt; `over` once more than `points` were counted in the window. */
  count(key: string): Promise<Tally>;
  /** Reads without counting; `over` once `points` were counted (the next attempt would be refused). */
  peek(key: string): Promise<Tally>;
  reset(key: string): Promise<void>;
}

/**
 * A counter named `name` (its keys are stored as `<name>:<key>`). `sweeps`: this counter also
 * deletes rows expired over an hour ago, every 5 minutes (one counter per process is enough).
 */
export function rateCounter(em: EntityManager, name: string, spec: LimitSpec, sweeps = false): Counter {
  const limiter = new RateLimiterPostgres({
    storeClient: sqlPoolOf(em), storeType: 'pool', tableName: 'rate_limits', tableCreated: true, clearExpiredByTimeout: sweeps,
    keyPrefix: name, points: spec.points, duration: spec.windowSeconds,
  });
  const tally = (res: RateLimiterRes, over: boolean): Tally =>
    ({ used: res.consumedPoints, remaining: res.remainingPoints, msBeforeReset: Math.max(res.msBeforeNext, 0), over });
  return {
    count: async (key) => {
      try {
        return tally(await limiter.consume(key), false);
      } catch (err) {
        // The library rejects with the counter's state when the limit is passed, and with an Error when the database fails.
        if (err instanceof RateLimiterRes) return tally(err, true);
        throw err;
      }
    },
    peek: async (key) => {
      const res = await limiter.get(key);
      if (!res) return { used: 0, remaining: spec.points, msBeforeReset: 0, over: false };
      return tally(res, res.consumedPoints >= spec.points);
    },
    reset: async (key) => {
      await limiter.delete(key);
    },
  };
}
