/**
 * Who used the two cores while a phase ran: the API, the workers, the Temporal server,
 * PostgreSQL, this load generator, and everything else on the machine. CPU milliseconds per order
 * (or per bare workflow) say where an optimisation would pay; "others" says how noisy the run was.
 * Linux /proc only; elsewhere every figure reads 0.
 */
import { childrenOf, machineBusySeconds, processSeconds } from '../lib/proc';

export const PARTS = ['api', 'worker', 'temporal', 'postgres'] as const;
export type Part = (typeof PARTS)[number];
/** One pid per part, or several (two worker processes); PostgreSQL's children are found from its postmaster. */
export type Pids = Partial<Record<Part, number | number[]>>;

export interface CpuSnapshot { at: number; machine: number; parts: Record<Part, number>; self: number }

/** Each in cores (1.0 = one core busy for the whole phase), and CPU ms per unit of work. */
export interface CpuShare { cores: Record<Part | 'loadGenerator' | 'others', number>; msPerUnit: Record<Part | 'loadGenerator' | 'total', number> }

export function snapshot(pids: Pids): CpuSnapshot {
  const usage = process.cpuUsage();
  const parts = Object.fromEntries(PARTS.map((part) => {
    const given = pids[part];
    const own = given === undefined ? [] : Array.isArray(given) ? given : [given];
    // PostgreSQL is a postmaster and one backend per connection: count the whole family.
    const family = part === 'postgres' ? own.flatMap((pid) => [pid, ...childrenOf(pid)]) : own;
    return [part, family.reduce((s, p) => s + processSeconds(p), 0)];
  })) as Record<Part, number>;
  return { at: performance.now(), machine: machineBusySeconds(), parts, self: (usage.user + usage.system) / 1e6 };
}

export function share(before: CpuSnapshot, after: CpuSnapshot, units: number): CpuShare {
  const wall = (after.at - before.at) / 1000;
  const part = (p: Part) => Math.max(0, after.parts[p] - before.parts[p]);
  const self = Math.max(0, after.self - before.self);
  const ours = PARTS.reduce((s, p) => s + part(p), 0) + self;
  const cores = { ...Object.fromEntries(PARTS.map((p) => [p, part(p) / wall])), loadGenerator: self / wall,
    others: Math.max(0, after.machine - before.machine - ours) / wall } as CpuShare['cores'];
  const per = (seconds: number) => (seconds * 1000) / Math.max(1, units);
  const msPerUnit = { ...Object.fromEntries(PARTS.map((p) => [p, per(part(p))])), loadGenerator: per(self), total: per(ours) } as CpuShare['msPerUnit'];
  return { cores, msPerUnit };
}

/** Adds up the shares of several phases of one kind, weighted by their work. */
export function combine(parts: { share: CpuShare; units: number; wallMs: number }[]): CpuShare {
  const units = parts.reduce((s, p) => s + p.units, 0);
  const wall = parts.reduce((s, p) => s + p.wallMs, 0);
  const weigh = <K extends string>(pick: (s: CpuShare) => Record<K, number>, by: (p: (typeof parts)[number]) => number, total: number) => {
    const keys = Object.keys(pick(parts[0].share)) as K[];
    return Object.fromEntries(keys.map((k) => [k, parts.reduce((s, p) => s + pick(p.share)[k] * by(p), 0) / Math.max(1, total)])) as Record<K, number>;
  };
  return { cores: weigh((s) => s.cores, (p) => p.wallMs, wall), msPerUnit: weigh((s) => s.msPerUnit, (p) => p.units, units) };
}

export { postmasterPid } from '../lib/proc';
