/**
 * Deleting orphaned image files: objects no product refers to any more, past their grace period
 * (an upload not attached yet is young, and kept). Each deletion is one short transaction under
 * the object's row lock (src/store/catalog-images.ts), so an upload or a product taking the object
 * meanwhile is never left without its file. The import workflow runs the same activity after it.
 */
import { Context } from '@temporalio/activity';
import { deleteOrphanImage, orphanImageKeys } from '../src/store/catalog-images';
import type { ImageSweepInput } from '../src/contracts/catalog-image-sweep';
import type { ActivityDeps } from './deps';

export interface OrphanPass extends ImageSweepInput {
  /** The run's clock: objects uploaded before asOf - graceMs are old enough. */
  asOf: string;
}

export function catalogImageActivities({ orm, images, logger }: ActivityDeps) {
  return {
    /** Deletes orphans a batch at a time, heartbeating the last key looked at, so a retry goes on from there. */
    async deleteOrphanImages(pass: OrphanPass): Promise<{ deleted: number; kept: number }> {
      if (!images) return { deleted: 0, kept: 0 };
      const uploadedBefore = new Date(Date.parse(pass.asOf) - pass.graceMs);
      const resumed = Context.current().info.heartbeatDetails as { after: string; deleted: number; kept: number } | undefined;
      let { after, deleted, kept } = resumed ?? { after: '', deleted: 0, kept: 0 };
      for (let batch = 0; batch < pass.maxBatches; batch++) {
        const keys = await orphanImageKeys(orm.em.fork(), uploadedBefore, pass.batchSize, after);
        for (const key of keys) {
          if (await deleteOrphanImage(orm.em.fork(), key, uploadedBefore, (k) => images.delete(k))) deleted += 1;
          else kept += 1;
          after = key;
        }
        Context.current().heartbeat({ after, deleted, kept });
        if (keys.length < pass.batchSize) break;
      }
      if (deleted > 0) logger.info({ deleted, kept }, 'deleted orphaned product images');
      return { deleted, kept };
    },
  };
}
