/**
 * The compensation stack. A step registers its undo *before* it runs (the step may half-happen:
 * a payment created whose answer was lost still needs voiding). On failure or cancellation the
 * undos run in reverse, in a scope that cancellation cannot interrupt; each undo is an activity
 * that retries with backoff until it succeeds, so a failing compensation stays visible in the
 * Temporal UI as a retrying activity instead of being swallowed. One that can never succeed (its
 * activity failed non-retryably: the database or the provider refused it for good) stops there: it
 * is recorded as failed, reported to support (a notice saying what to do), and the rollback goes on.
 */
import { CancellationScope, log } from '@temporalio/workflow';

export interface Compensation {
  name: string;
  run: () => Promise<unknown>;
}

type OnEvent = (name: string, status: 'compensating' | 'compensated' | 'failed', detail?: string) => void;
/** Tells support that an undo can never succeed (an activity raising a notice). */
type OnGivenUp = (name: string, error: string) => Promise<unknown>;

export class Saga {
  private readonly stack: Compensation[] = [];

  constructor(private readonly onEvent: OnEvent, private readonly onGivenUp: OnGivenUp = async () => undefined) {}

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
        if (await this.attempt(compensation.name, compensation.run)) this.onEvent(compensation.name, 'compensated');
        this.stack.pop();
      }
    });
  }

  /**
   * Runs one step of a rollback (an undo, or the rollback's own bookkeeping); true when it succeeded.
   * Only a failure for good gets here (compensations retry without limit otherwise): it is recorded
   * and reported, and the rollback goes on with the rest, so the order still ends in a clear state.
   */
  async attempt(name: string, run: () => Promise<unknown>): Promise<boolean> {
    try {
      await run();
      return true;
    } catch (err) {
      const error = String((err as { cause?: { message?: string } })?.cause?.message ?? (err as Error)?.message ?? err);
      log.error('rollback step failed for good; support is told, the rollback goes on', { step: name, error });
      this.onEvent(name, 'failed', error);
      try {
        await this.onGivenUp(name, error);
      } catch (notified) {
        log.error('could not raise the support notice for a failed rollback step', { step: name, error: String(notified) });
      }
      return false;
    }
  }
}
