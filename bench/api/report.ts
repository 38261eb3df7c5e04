/** The table the benchmark prints: target vs measured p99, the ratio, and PASS/MISS. */
import type { Measured } from './load';

export interface Row { scenario: string; targetP99: number; measured: Measured }

const ms = (v: number) => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : 'n/a');

/** PASS needs the p99 within target and not a single error or non-2xx answer. */
export function verdict(row: Row): 'PASS' | 'MISS' {
  const m = row.measured;
  return m.p99 <= row.targetP99 && m.errors === 0 && m.non2xx === 0 && m.requests > 0 ? 'PASS' : 'MISS';
}

export function table(rows: Row[]): string {
  const header = ['scenario', 'rate', 'requests', 'p50', 'p99', 'target p99', 'p99/target', 'max', 'non-2xx', 'errors', 'verdict'];
  const lines = rows.map((row) => {
    const m = row.measured;
    return [row.scenario, `${m.achievedRate.toFixed(0)}/s`, String(m.requests), ms(m.p50), ms(m.p99), `<= ${row.targetP99} ms`,
      (m.p99 / row.targetP99).toFixed(2), ms(m.max), String(m.non2xx), String(m.errors), verdict(row)];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
  return [fmt(header), widths.map((w) => '-'.repeat(w)).join('  '), ...lines.map(fmt)].join('\n');
}

/** The load's shape, status codes, the generator's own figures, and who used the two cores while it ran. */
export function details(rows: Row[]): string {
  const cores = (v: number) => `${(v * 100).toFixed(0)}%`;
  return rows.map(({ scenario, measured: m }) => [
    `${scenario}: ${m.shape}; statuses ${JSON.stringify(m.statuses)}; ${m.generator}`,
    `  CPU (100% = one core): API ${cores(m.cpu.api)} = ${m.cpu.apiMsPerRequest.toFixed(1)} ms/request, ` +
      `PostgreSQL ${cores(m.cpu.postgres)} = ${m.cpu.postgresMsPerRequest.toFixed(1)} ms/request, ` +
      `load generator ${cores(m.cpu.loadGenerator)}, other processes ${cores(m.cpu.others)}`,
    ...(m.tail ? [`  where a tail can come from: ${m.tail}`] : []),
  ].join('\n')).join('\n');
}

/** Warnings a reader needs before trusting the numbers. */
export function caveats(rows: Row[], rate: number): string[] {
  const out: string[] = [];
  for (const { scenario, measured: m } of rows) {
    if (m.achievedRate < rate * 0.97) out.push(`${scenario}: only ${m.achievedRate.toFixed(0)} of ${rate} req/s were served: the API (or the machine) is saturated, so latencies include queueing.`);
    if (m.cpu.others > 0.2) out.push(`${scenario}: other processes used ${(m.cpu.others * 100).toFixed(0)}% of a core meanwhile; expect noisier figures.`);
  }
  return out;
}
