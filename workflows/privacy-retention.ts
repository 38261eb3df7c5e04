/**
 * privacy-retention: started by the Temporal Schedule of the same id (src/temporal/schedules.ts),
 * hourly by default. Empties provider webhook payloads older than WEBHOOK_PAYLOAD_RETENTION and the
 * detail of delivery reports older than DELIVERY_REPORT_RETENTION (their ids stay, for
 * deduplication), in one activity that heartbeats per batch.
 */
import { proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { Activities } from '../activities';
import { TRANSIENT_RETRY } from './policies';
import type { RetentionInput, RetentionResult } from '../src/contracts/privacy';

/** A minute without a heartbeat means the worker died: retry elsewhere (what was pruned stays pruned). */
const retention = proxyActivities<Activities>({ startToCloseTimeout: '15 minutes', heartbeatTimeout: '1 minute', retry: TRANSIENT_RETRY });

export async function privacyRetention(input: RetentionInput): Promise<RetentionResult> {
  const days = (ms: number) => Math.round(ms / 86_400_000);
  setCurrentDetails(`Emptying webhook payloads older than ${days(input.webhookPayloadMs)} days and delivery reports older than ${days(input.deliveryReportMs)} days`);
  const result = await retention.pruneProviderPayloads.executeWithOptions({ summary: 'Empty provider payloads past their retention' }, [input]);
  setCurrentDetails(`Emptied ${result.webhookPayloads} webhook payload(s) and ${result.deliveryReports} delivery report(s)`);
  return result;
}
