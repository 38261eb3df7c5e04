/** The catalog image sweep (workflows/catalog-image-sweep.ts), started by the Schedule of id IMAGE_SWEEP_ID (src/contracts/temporal.ts). */

export interface ImageSweepInput {
  /** Uploaded this long ago or more, and referred to by no product: deleted (IMAGE_ORPHAN_GRACE). Younger orphans wait, as an upload waits to be attached. */
  graceMs: number;
  /** Objects looked at per batch (one heartbeat each). */
  batchSize: number;
  /** Batches per run: bounds a run; the next run goes on. */
  maxBatches: number;
}

export interface ImageSweepResult { asOf: string; deleted: number; kept: number }

export type CatalogImageSweepWorkflow = (input: ImageSweepInput) => Promise<ImageSweepResult>;
