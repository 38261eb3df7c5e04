import { rmSync } from 'node:fs';

interface Harness { db: { stop(): Promise<void> }; devServer: { stop(): Promise<void> }; stripeMock?: { stop(): Promise<void> }; dir: string }

export default async function globalTeardown(): Promise<void> {
  const harness = (globalThis as Record<string, unknown>).__HARNESS__ as Harness | undefined;
  if (!harness) return;
  await Promise.allSettled([harness.devServer.stop(), harness.db.stop(), harness.stripeMock?.stop()]);
  rmSync(harness.dir, { recursive: true, force: true });
}
