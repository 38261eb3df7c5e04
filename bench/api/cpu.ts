/**
 * Who used the CPU during a measurement: the API process, PostgreSQL, this load generator, and
 * everything else on the machine. On a shared 2-core box "everything else" explains noisy runs,
 * and the per-request CPU of the API and PostgreSQL says where an optimisation would pay.
 * Linux /proc only; elsewhere every figure reads 0.
 */
import { childrenOf, machineBusySeconds, processSeconds } from '../lib/proc';

export interface CpuSnapshot { at: number; machine: number; api: number; postgres: number; self: number }

export interface CpuShare {
  /** Each in cores (2.0 = both cores busy for the whole measurement). */
  api: number; postgres: number; loadGenerator: number; others: number;
  apiMsPerRequest: number; postgresMsPerRequest: number;
}

export function snapshot(apiPid: number | undefined, postmasterPid: number | undefined): CpuSnapshot {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machine: machineBusySeconds(),
    // With BENCH_API_PROCESSES > 1 the API processes are the children of a cluster primary.
    api: apiPid ? [apiPid, ...childrenOf(apiPid)].reduce((s, pid) => s + processSeconds(pid), 0) : 0,
    postgres: postmasterPid ? [postmasterPid, ...childrenOf(postmasterPid)].reduce((s, pid) => s + processSeconds(pid), 0) : 0,
    self: (usage.user + usage.system) / 1e6,
  };
}

export function share(before: CpuSnapshot, after: CpuSnapshot, requests: number): CpuShare {
  const wall = (after.at - before.at) / 1000;
  const d = (k: keyof Omit<CpuSnapshot, 'at'>) => Math.max(0, after[k] - before[k]);
  const ours = d('api') + d('postgres') + d('self');
  return {
    api: d('api') / wall, postgres: d('postgres') / wall, loadGenerator: d('self') / wall,
    others: Math.max(0, d('machine') - ours) / wall,
    apiMsPerRequest: (d('api') * 1000) / Math.max(1, requests),
    postgresMsPerRequest: (d('postgres') * 1000) / Math.max(1, requests),
  };
}

export { postmasterPid } from '../lib/proc';
