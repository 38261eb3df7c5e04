/**
 * Runs a benchmark's `main` and always takes its stack down: on success, on a crash, on Ctrl-C,
 * SIGTERM or SIGHUP (exit code 128+n), and after `deadlineMs` (the run has hung). Idempotent: tsx
 * relays a terminal Ctrl-C a second time.
 */
export function runBench(stack: { stop(): Promise<void> }, main: () => Promise<number>, deadlineMs: number): void {
  let exiting = false;
  const finish = async (code: number, reason?: string): Promise<never> => {
    if (!exiting) {
      exiting = true;
      if (reason) console.error(`[bench] ${reason}`);
      await stack.stop().catch((err: unknown) => console.error('[bench] cleanup failed:', err));
    }
    process.exit(code);
  };
  const crashed = (err: unknown) => `crashed: ${err instanceof Error ? err.stack : String(err)}`;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => void finish(128 + ({ SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const)[signal], `${signal}: stopping everything`));
  }
  setTimeout(() => void finish(1, `still running after ${deadlineMs / 1000} s: giving up`), deadlineMs).unref();
  // Requests still in flight when we stop fail as their servers go away: that is the stop, not a new crash.
  process.on('unhandledRejection', (err) => { if (!exiting) void finish(1, crashed(err)); });
  main().then(
    (code) => finish(code),
    // Ctrl-C reaches PostgreSQL and the children too (one process group), so a request can fail a
    // moment before our own SIGINT handler runs: give the signal that moment to be the reason.
    (err: unknown) => setTimeout(() => void finish(1, crashed(err)), 250),
  );
}
