/**
 * Whatever the tests left running goes: normally test/stack/stop.test.ts has stopped the stack with
 * a Ctrl-C and checked that nothing is left; after a failure this sends the Ctrl-C, then kills what
 * still runs, by process group (every process of the stack runs in a group of its own).
 */
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { groupAlive } from '../../support/processes';

export default async function globalTeardown(): Promise<void> {
  const stack = (globalThis as Record<string, unknown>).__STACK__ as { pgid: number; dataDir: string } | undefined;
  if (!stack) return;
  if (groupAlive(stack.pgid)) {
    process.kill(-stack.pgid, 'SIGCONT'); // a failure test may have left it paused
    process.kill(-stack.pgid, 'SIGINT');
    const deadline = Date.now() + 60_000;
    while (groupAlive(stack.pgid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
  }
  for (const pgid of [stack.pgid, ...groupsOf(stack.dataDir)]) if (groupAlive(pgid)) process.kill(-pgid, 'SIGKILL');
  if (!process.env.STACK_TEST_KEEP) rmSync(stack.dataDir, { recursive: true, force: true });
}

function groupsOf(dataDir: string): number[] {
  try {
    const state = JSON.parse(readFileSync(join(dataDir, 'stack.json'), 'utf8')) as { processes: { pid?: number }[] };
    return state.processes.flatMap((p) => (p.pid ? [p.pid] : []));
  } catch {
    return [];
  }
}
