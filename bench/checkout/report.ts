/** What the benchmark prints: the table of targets, where the CPU went, and where a workflow's time went. */
import { PARTS, type CpuShare } from './cpu';
import type { Breakdown, TaskTimes } from './history';

export interface Row { metric: string; target?: string; measured: string; pass?: boolean }

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

export const ms = (v: number) => (Number.isFinite(v) ? `${Math.round(v)} ms` : 'n/a');
export const p50p99 = (values: number[]) => `${ms(percentile(values, 50))} / ${ms(percentile(values, 99))}`;

export function table(rows: Row[]): string {
  const header = ['metric', 'target', 'measured', 'verdict'];
  const lines = rows.map((r) => [r.metric, r.target ?? '', r.measured, r.pass === undefined ? '' : r.pass ? 'PASS' : 'MISS']);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** One line per kind: cores used by each process, and CPU milliseconds per order or workflow. */
export function cpuLine(label: string, unit: string, s: CpuShare): string {
  const parts = PARTS.map((p) => `${p} ${s.cores[p].toFixed(2)} (${s.msPerUnit[p].toFixed(0)} ms)`).join(', ');
  return `${label}: cores used (CPU ms per ${unit}): ${parts}, load generator ${s.cores.loadGenerator.toFixed(2)} (${s.msPerUnit.loadGenerator.toFixed(0)} ms); ` +
    `ours in all ${s.msPerUnit.total.toFixed(0)} ms per ${unit}; other processes ${s.cores.others.toFixed(2)} cores`;
}

/** Per workflow (parent and child together): how many tasks of each kind, and their median queue wait and run time. */
export function breakdownLines(label: string, b: Breakdown): string[] {
  const n = Math.max(1, b.orders);
  const cell = (name: string, t: TaskTimes, count: number) => t.run.every(Number.isNaN)
    ? `${name} x${(count / n).toFixed(1)} (inside a workflow task)`
    : `${name} x${(count / n).toFixed(1)}: wait ${ms(percentile(t.wait, 50))}, run ${ms(percentile(t.run, 50))}`;
  const activities = [...b.activities.entries()].map(([type, t]) => cell(type, t, t.run.length));
  return [
    `${label} (medians, per order; ${b.orders} orders, parent and child histories):`,
    `  ${cell('workflow tasks', b.workflowTasks, b.workflowTasks.run.length)}; child workflow ${ms(percentile(b.child, 50))} from start to result`,
    `  activities: ${activities.join('; ')}`,
  ];
}
