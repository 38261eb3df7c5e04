/**
 * An update's validator refuses by throwing: the update is rejected before it reaches the history,
 * and the caller reads the message. Support actions and the order's own updates refuse the same way.
 */
import type { ActorReason } from '../src/contracts/order';

/** Every support action says who asks and why (recorded in the order's timeline). */
export function requireReason(request: ActorReason): void {
  if (!request || typeof request.reason !== 'string' || request.reason.trim().length === 0) throw new Error('a reason is required');
  if (typeof request.actor !== 'string' || request.actor.length === 0) throw new Error('the actor (who asks) is required');
}

/** Refuses with the reason a domain rule gave (src/domain/order.ts, src/domain/support.ts), if it gave one. */
export function refuseIf(refusal: string | undefined): void {
  if (refusal) throw new Error(refusal);
}
