/**
 * Temporal Schedules the engine owns, created with fixed ids when a worker starts. Creating is
 * idempotent: a second worker, or a restart, finds the schedule as it should be and changes
 * nothing; a changed setting (CART_SWEEP_EVERY, CART_TTL, ...) updates it in place. What ops set
 * by hand (paused or not, its note) is never touched. Ops pause, unpause and trigger it with
 * `temporal schedule toggle --pause|--unpause` and `temporal schedule trigger` (--schedule-id cart-expiry-sweep) or the UI's Schedules page.
 */
import { Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy, type ScheduleDescription } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { NativeConnection } from '@temporalio/worker';
import { ConfigError, durationMs, type Config } from '../config';
import type { Logger } from '../logger';
import { dataConverterOf } from './codec';
import { CART_SWEEP_ID, IMAGE_SWEEP_ID, RETENTION_SWEEP_ID } from '../contracts/temporal';
import type { PrivacyRetentionWorkflow, RetentionInput } from '../contracts/privacy';
import type { CatalogImageSweepWorkflow, ImageSweepInput } from '../contracts/catalog-image-sweep';
import type { CartExpirySweepWorkflow, CartSweepInput } from '../contracts/cart-sweep';

export interface CartSweepSettings {
  /** How often the sweep runs, e.g. '5m' (CART_SWEEP_EVERY). */
  every: string;
  input: CartSweepInput;
}

/** Carts claimed per transaction: small enough that a customer's write waits milliseconds, not seconds. */
const BATCH_SIZE = 100;
/** Batches per pass per run: up to 5,000 carts per pass every 5 minutes; a backlog drains over a few runs. */
const MAX_BATCHES = 50;

export function cartSweepSettings(config: Pick<Config, 'CART_SWEEP_EVERY' | 'CART_REMINDER_AFTER' | 'CART_TTL' | 'CART_RETENTION'>): CartSweepSettings {
  const remind = durationMs(config.CART_REMINDER_AFTER);
  const ttl = durationMs(config.CART_TTL);
  const retention = durationMs(config.CART_RETENTION);
  if (!(remind < ttl && ttl <= retention)) {
    throw new ConfigError(`CART_REMINDER_AFTER (${config.CART_REMINDER_AFTER}) must be shorter than CART_TTL (${config.CART_TTL}), `
      + `and CART_TTL no longer than CART_RETENTION (${config.CART_RETENTION}).`);
  }
  if (durationMs(config.CART_SWEEP_EVERY) < 10_000) throw new ConfigError(`CART_SWEEP_EVERY (${config.CART_SWEEP_EVERY}) must be at least 10s.`);
  return {
    every: config.CART_SWEEP_EVERY,
    input: { remindAfter: config.CART_REMINDER_AFTER, expireAfter: config.CART_TTL, deleteAfter: config.CART_RETENTION,
      batchSize: BATCH_SIZE, maxBatches: MAX_BATCHES },
  };
}

export type EnsureOutcome = 'created' | 'updated' | 'unchanged';

export interface EnsureScheduleOptions {
  taskQueue: string;
  settings: CartSweepSettings;
  /** Tests use an id of their own; everything else uses the fixed one. */
  scheduleId?: string;
}

/** Creates the cart-expiry-sweep schedule, or brings it in line with the settings; never touches its paused state. */
export async function ensureCartExpirySchedule(client: Client, opts: EnsureScheduleOptions): Promise<EnsureOutcome> {
  return ensureIntervalSchedule(client, { scheduleId: opts.scheduleId ?? CART_SWEEP_ID, workflowType: 'cartExpirySweep', every: opts.settings.every,
    taskQueue: opts.taskQueue, args: [opts.settings.input] as Parameters<CartExpirySweepWorkflow>, staticSummary: summaryOf(opts.settings) });
}

export interface ImageSweepSettings { every: string; input: ImageSweepInput }

export function imageSweepSettings(config: Pick<Config, 'IMAGE_SWEEP_EVERY' | 'IMAGE_ORPHAN_GRACE'>): ImageSweepSettings {
  if (durationMs(config.IMAGE_SWEEP_EVERY) < 10_000) throw new ConfigError(`IMAGE_SWEEP_EVERY (${config.IMAGE_SWEEP_EVERY}) must be at least 10s.`);
  return { every: config.IMAGE_SWEEP_EVERY, input: { graceMs: durationMs(config.IMAGE_ORPHAN_GRACE), batchSize: BATCH_SIZE, maxBatches: MAX_BATCHES } };
}

/** Creates the catalog-image-sweep schedule, or brings it in line with the settings. */
export async function ensureImageSweepSchedule(client: Client, taskQueue: string, settings: ImageSweepSettings, scheduleId = IMAGE_SWEEP_ID)
  : Promise<EnsureOutcome> {
  return ensureIntervalSchedule(client, { scheduleId, workflowType: 'catalogImageSweep', every: settings.every, taskQueue,
    args: [settings.input] as Parameters<CatalogImageSweepWorkflow>,
    staticSummary: `Catalog image sweep: delete uploaded images no product refers to, ${Math.round(settings.input.graceMs / 60_000)} minutes after upload` });
}

export interface RetentionSettings { every: string; input: RetentionInput }

export function retentionSettings(config: Pick<Config, 'RETENTION_SWEEP_EVERY' | 'WEBHOOK_PAYLOAD_RETENTION' | 'DELIVERY_REPORT_RETENTION'>): RetentionSettings {
  if (durationMs(config.RETENTION_SWEEP_EVERY) < 10_000) throw new ConfigError(`RETENTION_SWEEP_EVERY (${config.RETENTION_SWEEP_EVERY}) must be at least 10s.`);
  return { every: config.RETENTION_SWEEP_EVERY, input: { webhookPayloadMs: durationMs(config.WEBHOOK_PAYLOAD_RETENTION),
    deliveryReportMs: durationMs(config.DELIVERY_REPORT_RETENTION), batchSize: BATCH_SIZE, maxBatches: MAX_BATCHES } };
}

/** Creates the privacy-retention schedule, or brings it in line with the settings. */
export async function ensureRetentionSchedule(client: Client, taskQueue: string, settings: RetentionSettings, scheduleId = RETENTION_SWEEP_ID)
  : Promise<EnsureOutcome> {
  const days = (ms: number) => Math.round(ms / 86_400_000);
  return ensureIntervalSchedule(client, { scheduleId, workflowType: 'privacyRetention', every: settings.every, taskQueue,
    args: [settings.input] as Parameters<PrivacyRetentionWorkflow>,
    staticSummary: `Privacy retention: empty webhook payloads after ${days(settings.input.webhookPayloadMs)} days, `
      + `delivery reports' detail after ${days(settings.input.deliveryReportMs)} days` });
}

/** A schedule starting one workflow every `every`, at most one at a time; created, updated to match, or left as it is. */
async function ensureIntervalSchedule(client: Client, s: { scheduleId: string; workflowType: string; every: string; taskQueue: string;
  args: unknown[]; staticSummary: string }): Promise<EnsureOutcome> {
  const every = durationMs(s.every);
  const desired = {
    spec: { intervals: [{ every }] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: s.workflowType,
      workflowId: s.scheduleId,
      taskQueue: s.taskQueue,
      args: s.args,
      staticSummary: s.staticSummary,
    },
    policies: {
      // A run still going when the next is due: skip the next, never two at once (they would be safe, just wasteful).
      overlap: ScheduleOverlapPolicy.SKIP,
      // After an outage, one run catches up; older missed runs are not worth replaying.
      catchupWindow: Math.max(every, 60_000),
      pauseOnFailure: false,
    },
  };
  try {
    await client.schedule.create({ scheduleId: s.scheduleId, ...desired, state: { note: 'Created by a worker at start-up' } });
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  const handle = client.schedule.getHandle(s.scheduleId);
  if (matches(await handle.describe(), desired)) return 'unchanged';
  await handle.update((previous) => ({ ...previous, spec: desired.spec, action: desired.action, policies: desired.policies }));
  return 'updated';
}

/**
 * What a worker does at start-up: ensure the schedule, and say what happened. A failure does not
 * stop the worker (orders matter more than sweeps); the log says the sweep is not scheduled.
 */
export async function ensureSchedulesAtStartup(at: { connection: NativeConnection; namespace: string; taskQueue: string; payloadCodec?: PayloadCodec },
  settings: CartSweepSettings, logger: Logger, images?: ImageSweepSettings, retention?: RetentionSettings): Promise<void> {
  const { taskQueue } = at;
  // With the workers' codec: a schedule's workflow arguments are payloads too.
  const client = new Client({ connection: at.connection, namespace: at.namespace, dataConverter: dataConverterOf(at.payloadCodec) });
  try {
    const outcome = await ensureCartExpirySchedule(client, { taskQueue, settings });
    logger.info({ scheduleId: CART_SWEEP_ID, outcome, every: settings.every }, `cart-expiry-sweep schedule ${outcome}`);
  } catch (err) {
    logger.error({ err, scheduleId: CART_SWEEP_ID },
      'Could not create or update the cart-expiry-sweep schedule; carts are not swept until a worker starts with access to Schedules');
  }
  if (retention) {
    try {
      const outcome = await ensureRetentionSchedule(client, taskQueue, retention);
      logger.info({ scheduleId: RETENTION_SWEEP_ID, outcome, every: retention.every }, `privacy-retention schedule ${outcome}`);
    } catch (err) {
      logger.error({ err, scheduleId: RETENTION_SWEEP_ID },
        'Could not create or update the privacy-retention schedule; provider payloads are kept until a worker starts with access to Schedules');
    }
  }
  if (!images) return;
  try {
    const outcome = await ensureImageSweepSchedule(client, taskQueue, images);
    logger.info({ scheduleId: IMAGE_SWEEP_ID, outcome, every: images.every }, `catalog-image-sweep schedule ${outcome}`);
  } catch (err) {
    logger.error({ err, scheduleId: IMAGE_SWEEP_ID },
      'Could not create or update the catalog-image-sweep schedule; orphaned images stay until a worker starts with access to Schedules');
  }
}

function summaryOf(settings: CartSweepSettings): string {
  const i = settings.input;
  return `Cart expiry sweep: remind after ${i.remindAfter} idle, expire after ${i.expireAfter}, delete after ${i.deleteAfter}`;
}

function matches(current: ScheduleDescription, desired: { spec: { intervals: { every: number }[] }; action: Record<string, unknown>;
  policies: { overlap: string; catchupWindow: number } }): boolean {
  const intervals = current.spec.intervals ?? [];
  const action = current.action;
  return intervals.length === 1 && intervals[0].every === desired.spec.intervals[0].every && !intervals[0].offset
    && !current.spec.calendars?.length
    && action.workflowType === desired.action.workflowType
    && action.taskQueue === desired.action.taskQueue
    && action.workflowId === desired.action.workflowId
    && action.staticSummary === desired.action.staticSummary
    && JSON.stringify(action.args) === JSON.stringify(desired.action.args)
    && current.policies.overlap === desired.policies.overlap
    && current.policies.catchupWindow === desired.policies.catchupWindow;
}
