/**
 * `npx tsx bench/api/heap-report.ts <file.heapprofile> [rows]`: where a sampling heap profile's bytes
 * were allocated (bench/api/heap-profile.ts writes one), by function (the bytes it allocated itself)
 * and by file (the bytes allocated while any of its functions was on the stack).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode { callFrame: { functionName: string; url: string; lineNumber: number }; selfSize: number; children?: ProfileNode[] }

const [file, rowsArg] = process.argv.slice(2);
if (!file) {
  console.error('usage: npx tsx bench/api/heap-report.ts <file.heapprofile> [rows]');
  process.exit(2);
}
const rows = Number(rowsArg ?? 30);
const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: ProfileNode };
const short = (url: string) => url.replace(/^.*node_modules\//, '').replace(/^file:\/\//, '').replace(`${process.cwd()}/`, '');
const bySite = new Map<string, number>();
const byFile = new Map<string, number>();
let total = 0;

(function walk(node: ProfileNode, files: ReadonlySet<string>): void {
  const { functionName, url, lineNumber } = node.callFrame;
  const fileName = short(url) || '(native)';
  const site = `${functionName || '(anonymous)'} ${fileName}:${lineNumber + 1}`;
  const onStack = new Set(files).add(fileName);
  total += node.selfSize;
  bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize);
  for (const f of onStack) byFile.set(f, (byFile.get(f) ?? 0) + node.selfSize);
  for (const child of node.children ?? []) walk(child, onStack);
})(head, new Set());

const line = ([name, bytes]: [string, number]) =>
  `${(bytes / 1e6).toFixed(1).padStart(9)} MB ${((100 * bytes) / total).toFixed(1).padStart(5)}%  ${name}`;
console.log(`${(total / 1e6).toFixed(1)} MB sampled\n\nallocated by the function itself:`);
for (const entry of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(line(entry));
console.log('\nallocated while a function of the file was on the stack:');
for (const entry of [...byFile].sort((a, b) => b[1] - a[1]).slice(0, rows)) console.log(line(entry));
