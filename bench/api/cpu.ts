/**
 * Who used the CPU during a measurement: the API process, PostgreSQL, this load generator, and
 * everything else on the machine. On a shared 2-core box "everything else" explains noisy runs,
 * and the per-request CPU of the API and PostgreSQL says where an optimisation would pay.
 * Linux /proc only; elsewhere every figure reads 0.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100; // USER_HZ on Linux

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

/** PostgreSQL writes its pid on the first line of postmaster.pid in the data directory. */
export function postmasterPid(dataDir: string): number | undefined {
  const file = `${dataDir}/postmaster.pid`;
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return pid > 0 ? pid : undefined;
}

function machineBusySeconds(): number {
  try {
    const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/);
    const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
    return (user + nice + system + irq + softirq + steal) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

/** utime + stime of one process (a backend that exits takes its time with it; the pool keeps them open). */
function processSeconds(pid: number): number {
  const f = statFields(pid);
  return f ? (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND : 0;
}

function childrenOf(ppid: number): number[] {
  try {
    return readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map(Number).filter((pid) => Number(statFields(pid)?.[1]) === ppid);
  } catch {
    return [];
  }
}

/** Fields of /proc/<pid>/stat after the command name, so [0] is the state and [1] the parent pid. */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}
