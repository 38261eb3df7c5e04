/**
 * BENCH_API_HEAP_PROFILE=<dir>: loaded into the API process (`--import`, after tsx) by BenchStack, it
 * records V8's sampling heap profile of what the process allocates from BENCH_API_HEAP_PROFILE_AFTER_S
 * seconds after start (default 8: after the search copy has loaded) until it exits, and writes it to
 * <dir>/api-<pid>.heapprofile (Chrome DevTools opens it; `npx tsx bench/api/heap-report.ts <file>` lists
 * it). Collected objects count too, so the profile says what a request allocates, not what is left at
 * the end; BENCH_API_HEAP_PROFILE_SURVIVORS=1 leaves out what the young generation's scavenges
 * collect, so it says what outlives a scavenge (what makes scavenges slow).
 */
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { join } from 'node:path';

const dir = process.env.BENCH_API_HEAP_PROFILE;
if (dir) {
  const session = new Session();
  session.connect();
  const survivorsOnly = process.env.BENCH_API_HEAP_PROFILE_SURVIVORS === '1';
  session.post('HeapProfiler.enable');
  setTimeout(() => {
    session.post('HeapProfiler.startSampling', {
      samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: !survivorsOnly,
    }, (err) => { if (err) console.error(`[heap profile] could not start: ${err.message}`); });
  }, Number(process.env.BENCH_API_HEAP_PROFILE_AFTER_S ?? 8) * 1000).unref();
  // A session on this thread answers at once, so the profile is written before the process is gone.
  process.on('exit', () => {
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) return;
      const file = join(dir, `api-${process.pid}.heapprofile`);
      writeFileSync(file, JSON.stringify(result.profile));
      console.error(`[heap profile] ${file}`);
    });
  });
}
