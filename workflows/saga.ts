/**
 * The compensation stack. A step registers its undo *before* it runs (the step may half-happen:
 * a payment created whose answer was lost still needs voiding). On failure or cancellation the
 * undos run in reverse, in a scope that cancellation cannot interrupt; each undo is an activity
 * that retries with backoff until it succeeds, so a failing compensation stays visible in the
 * Temporal UI as a retrying activity instead of being swallowed.
 */
import { CancellationScope, log } from '@temporalio/workflow';

export interface Compensation {
  name: string;
  run: () => Promise<unknown>;
}

export class Saga {
  private readonly stack: Compensation[] = [];

  constructor(private readonly onEvent: (name: string, status: 'compensating' | 'compensated' | 'failed', detail?: string) => void) {}

  /** Registers an undo; call it before the step it undoes. */
  add(name: string, run: () => Promise<unknown>): void {
    this.stack.push({ name, run });
  }

  pending(): string[] {
    return [...this.stack].reverse().map((c) => c.name);
  }

  /** Runs every registered undo, newest first, even if the workflow is being cancelled. */
  async compensate(): Promise<void> {
    await CancellationScope.nonCancellable(async () => {
      while (this.stack.length > 0) {
        const compensation = this.stack[this.stack.length - 1];
        this.onEvent(compensation.name, 'compensating');
        try {
          await compensation.run();
          this.onEvent(compensation.name, 'compensated');
        } catch (err) {
          // Only reached when the activity's retries are exhausted (compensations retry without limit by
          // default) or it failed for good: record it loudly and go on with the others.
          log.error('compensation failed for good; it needs a person', { compensation: compensation.name, error: String(err) });
          this.onEvent(compensation.name, 'failed', String(err));
        }
        this.stack.pop();
      }
    });
  }
}
