/**
 * catalog-image-sweep: started by the Temporal Schedule of the same id (src/temporal/schedules.ts),
 * hourly by default. Deletes the uploaded image files no product refers to any more, once they are
 * older than the grace period (IMAGE_ORPHAN_GRACE), in one activity that heartbeats per batch.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { TRANSIENT_RETRY } from './policies';
import type { ImageSweepInput, ImageSweepResult } from '../src/contracts/catalog-image-sweep';

/** A minute without a heartbeat means the worker died: retry elsewhere, resuming after the last key. */
const images = proxyActivities<Activities>({ startToCloseTimeout: '15 minutes', heartbeatTimeout: '1 minute', retry: TRANSIENT_RETRY });

export async function catalogImageSweep(input: ImageSweepInput): Promise<ImageSweepResult> {
  // Workflow time: the same cutoff for every retry of this run.
  const asOf = new Date().toISOString();
  setCurrentDetails(`Deleting image files no product refers to, uploaded over ${Math.round(input.graceMs / 60_000)} minutes before ${asOf}`);
  const { deleted, kept } = await images.deleteOrphanImages.executeWithOptions(
    { summary: 'Delete orphaned image files' }, [{ ...input, asOf }]);
  setCurrentDetails(`Deleted ${deleted} orphaned image file(s) as of ${asOf}`);
  return { asOf, deleted, kept };
}
