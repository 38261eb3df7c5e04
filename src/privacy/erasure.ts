/**
 * Starting and steering a customer's erasure (workflows/gdpr-erasure.ts) from the API and the
 * support CLI. The workflow is started first, then the account is closed at once here too (the
 * workflow's first step does the same, idempotently): once the request is answered, the customer
 * can no longer sign in, even before a worker has picked the workflow up.
 */
import { WorkflowIdConflictPolicy, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { EntityManager } from '@mikro-orm/postgresql';
import { DomainError, ErrorCode } from '../domain/errors';
import { decideErasureUpdate, erasureStatusQuery, type ErasureDecision, type ErasureState, type GdprErasureWorkflow } from '../contracts/privacy';
import { CustomerIdAttr, workflowIds } from '../contracts/temporal';
import { customerById } from '../store/customers';
import { requestErasure } from '../store/erasures';

export interface ErasureStarter { client?: Client; taskQueue: string }

export async function startErasure(s: ErasureStarter, em: EntityManager, customerId: string, requestedBy: string): Promise<{ workflowId: string }> {
  if (!s.client) throw new DomainError(ErrorCode.ServiceUnavailable, 'This server has no connection to Temporal; nothing was changed.');
  if (!(await customerById(em, customerId))) throw customerNotFound(customerId);
  const workflowId = workflowIds.erasure(customerId);
  // A second request while one runs joins it; after one ended (erased or withdrawn), a new one starts and finds its work done or to do.
  await s.client.workflow.start<GdprErasureWorkflow>('gdprErasure', {
    workflowId, taskQueue: s.taskQueue, args: [{ customerId, requestedBy }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    typedSearchAttributes: [{ key: CustomerIdAttr, value: customerId }],
    staticSummary: `Erase customer ${customerId}'s personal data (asked for by ${requestedBy})`,
  });
  await requestErasure(em, customerId, requestedBy);
  return { workflowId };
}

export async function erasureStatus(client: Client | undefined, customerId: string): Promise<ErasureState> {
  if (!client) throw new DomainError(ErrorCode.ServiceUnavailable, 'This server has no connection to Temporal.');
  try {
    return await client.workflow.getHandle(workflowIds.erasure(customerId)).query(erasureStatusQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw erasureNotFound(customerId);
    throw err;
  }
}

/** An admin's decision while the erasure waits for orders; refused (409) once it no longer waits. */
export async function decideErasure(client: Client | undefined, customerId: string, decision: ErasureDecision): Promise<ErasureState> {
  if (!client) throw new DomainError(ErrorCode.ServiceUnavailable, 'This server has no connection to Temporal; nothing was changed.');
  const handle = client.workflow.getHandle(workflowIds.erasure(customerId));
  try {
    return await handle.executeUpdate(decideErasureUpdate, { args: [decision] });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      // An erasure that has ended (erased or withdrawn) is there to describe, but takes no decision.
      const ended = await handle.query(erasureStatusQuery).catch(() => undefined);
      if (ended) throw new DomainError(ErrorCode.ActionRefused, `the erasure of customer ${customerId} is ${ended.stage}; there is nothing left to decide`);
      throw erasureNotFound(customerId);
    }
    if (err instanceof WorkflowUpdateFailedError) throw new DomainError(ErrorCode.ActionRefused, err.cause?.message ?? err.message);
    throw err;
  }
}

export const customerNotFound = (id: string) => new DomainError(ErrorCode.CustomerNotFound, `Customer ${id} does not exist.`, { id });
const erasureNotFound = (id: string) => new DomainError(ErrorCode.ErasureNotFound, `No erasure of customer ${id} is running or recorded in Temporal.`, { id });
