/**
 * Support's two tables. support_actions is the audit trail: every support action, recorded
 * 'pending' before it is sent to the order's workflow and completed with its outcome.
 * support_notices is what the workflows could not settle by themselves and left for a person: a
 * parcel that stopped moving (`shipment_stalled`, one open per shipment), one returned to sender
 * (`shipment_returned`), a refund the provider failed (`refund_failed`, one per refund), a step of an
 * order that can never succeed: a compensation (`compensation_failed`) or a customer message
 * (`message_failed`), one open per order and subject.
 */
import type { EntityManager } from '@mikro-orm/postgresql';
import { storable } from '../domain/text';

export type AuditOutcome = 'done' | 'refused' | 'not_found' | 'failed';

/** A support_actions row as staff read it. */
export interface SupportActionRow {
  id: string; action: string; actor: string; via: string; reason: string; outcome: string; outcome_detail: string | null;
  requested_at: string; completed_at: string | null;
}

/** A support_notices row, with its shipment's tracking number and status when it is about one. */
export interface NoticeRow {
  id: string; kind: string; order_id: string | null; shipment_id: string | null; tracking_number: string | null; shipment_status: string | null;
  message: string; created_at: string; resolved_at: string | null;
}

export const NOTICE_KINDS = ['shipment_stalled', 'shipment_returned', 'refund_failed', 'compensation_failed', 'message_failed'] as const;
export type NoticeKind = (typeof NOTICE_KINDS)[number];

/** Who acted: a staff account, through one of its keys; `actor` is how timelines name them (staff:<name>). */
export interface AuditActor { staffId: string; staffKeyId: string; actor: string; via: string }

/** Records an action before it is sent ('pending'); the same id again (a retried request) adds nothing. */
export async function recordSupportAction(em: EntityManager, a: AuditActor & {
  id: string; orderId?: string; shipmentId?: string; action: string; reason: string; request: Record<string, unknown>;
}): Promise<void> {
  await em.execute(
    `insert into support_actions (id, order_id, shipment_id, action, actor, staff_id, staff_key_id, via, reason, request)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
    [a.id, a.orderId ?? null, a.shipmentId ?? null, a.action, a.actor, a.staffId, a.staffKeyId, a.via, a.reason, JSON.stringify(a.request)]);
}

/**
 * An action done at once (a stock count, a change to a staff account, a notice closed), recorded
 * with its outcome inside the caller's transaction, so the change and its audit row go together.
 */
export async function auditDone(tx: EntityManager, a: {
  by: { id: string; keyId: string; name: string }; via: string; action: string; detail: string; request: Record<string, unknown>;
  reason?: string; outcome?: AuditOutcome; orderId?: string | null; shipmentId?: string | null; sku?: string; subjectStaffId?: string;
}): Promise<void> {
  await tx.execute(
    `insert into support_actions (order_id, shipment_id, sku, subject_staff_id, action, actor, staff_id, staff_key_id, via, reason, request,
                                  outcome, outcome_detail, completed_at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now())`,
    [a.orderId ?? null, a.shipmentId ?? null, a.sku ?? null, a.subjectStaffId ?? null, a.action, `staff:${a.by.name}`, a.by.id, a.by.keyId, a.via,
      a.reason ?? '', JSON.stringify(a.request), a.outcome ?? 'done', a.detail.slice(0, 2000)]);
}

/** How the action ended, in words; `orderId` fills in the order of an action recorded by shipment. */
export async function completeSupportAction(em: EntityManager, id: string, outcome: AuditOutcome, detail: string, orderId?: string): Promise<void> {
  await em.execute(
    `update support_actions set outcome = ?, outcome_detail = ?, order_id = coalesce(order_id, ?), completed_at = now() where id = ?`,
    [outcome, detail.slice(0, 2000), orderId ?? null, id]);
}

/** An order's support actions, oldest first. */
export async function supportActionsOfOrder(em: EntityManager, orderId: string): Promise<SupportActionRow[]> {
  return em.execute<SupportActionRow[]>(
    `select id, action, actor, via, reason, outcome, outcome_detail, requested_at, completed_at
       from support_actions where order_id = ? order by requested_at`, [orderId]);
}

const NOTICES = `select n.id, n.kind, n.order_id, n.shipment_id, s.tracking_number, s.status as shipment_status, n.message, n.created_at, n.resolved_at
                   from support_notices n left join shipments s on s.id = n.shipment_id`;

/** Notices oldest first, open or resolved or both, of one kind or order if given. */
export async function noticesMatching(em: EntityManager, f: { state: 'open' | 'resolved' | 'all'; kind?: NoticeKind; orderId?: string; limit: number })
  : Promise<NoticeRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  if (f.state !== 'all') where.push(f.state === 'open' ? 'n.resolved_at is null' : 'n.resolved_at is not null');
  if (f.kind) {
    where.push('n.kind = ?');
    args.push(f.kind);
  }
  if (f.orderId) {
    where.push('n.order_id = ?');
    args.push(f.orderId);
  }
  return em.execute<NoticeRow[]>(`${NOTICES} ${where.length ? `where ${where.join(' and ')}` : ''} order by n.created_at, n.id limit ?`, [...args, f.limit]);
}

export async function noticeById(em: EntityManager, id: string): Promise<NoticeRow | undefined> {
  const [row] = await em.execute<NoticeRow[]>(`${NOTICES} where n.id = ?`, [id]);
  return row;
}

/**
 * Closes an open notice and records who did and why in the audit trail, in one transaction: both
 * change or neither. False when there was no open notice of this id.
 */
export async function resolveNotice(em: EntityManager, r: { id: string; by: { id: string; keyId: string; name: string }; via: string; reason: string })
  : Promise<boolean> {
  return em.transactional(async (tx) => {
    const [n] = await tx.execute<{ id: string; kind: string; order_id: string | null; shipment_id: string | null }[]>(
      'update support_notices set resolved_at = now() where id = ? and resolved_at is null returning id, kind, order_id, shipment_id', [r.id]);
    if (!n) return false;
    await auditDone(tx, { by: r.by, via: r.via, action: 'resolve_notice', reason: r.reason, orderId: n.order_id, shipmentId: n.shipment_id,
      request: { noticeId: n.id }, detail: `${n.kind} notice ${n.id} resolved` });
    return true;
  });
}

/** What was done about one SKU's stock (set_stock), newest first. */
export async function supportActionsOfSku(em: EntityManager, sku: string, limit = 50): Promise<SupportActionRow[]> {
  return em.execute<SupportActionRow[]>(
    `select id, action, actor, via, reason, outcome, outcome_detail, requested_at, completed_at
       from support_actions where sku = ? order by requested_at desc limit ?`, [sku, limit]);
}

/** One open notice of this kind per shipment: false when one is open already, or there is no such shipment. */
export async function raiseShipmentNotice(em: EntityManager, kind: NoticeKind, shipmentId: string, message: string): Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `insert into support_notices (kind, order_id, shipment_id, message) select ?, order_id, id, ? from shipments where id = ?
     on conflict (kind, shipment_id) where resolved_at is null do nothing returning id`,
    [kind, message, shipmentId]);
  return rows.length > 0;
}

/** Closes the shipment's open notice of this kind (the parcel moves again); returns how many were closed. */
export async function resolveShipmentNotices(em: EntityManager, kind: NoticeKind, shipmentId: string): Promise<number> {
  const rows = await em.execute<{ id: string }[]>(
    'update support_notices set resolved_at = now() where kind = ? and shipment_id = ? and resolved_at is null returning id', [kind, shipmentId]);
  return rows.length;
}

/** One refund_failed notice per refund (inside the caller's transaction). */
export async function raiseRefundFailedNotice(tx: EntityManager, n: { orderId: string; refundId: string; message: string }): Promise<void> {
  await tx.execute(`insert into support_notices (kind, order_id, refund_id, message) values ('refund_failed', ?, ?, ?)
    on conflict (kind, refund_id) where refund_id is not null do nothing`, [n.orderId, n.refundId, n.message]);
}

/**
 * A step of an order that can never succeed, left for a person: one open notice per order, kind and
 * subject (a retried activity adds nothing). Its message quotes others' words (a provider's or the
 * database's error), so it is made storable first: a notice must never fail for the reason it reports.
 */
export async function raiseOrderNotice(em: EntityManager, n: { kind: 'compensation_failed' | 'message_failed'; orderId: string; subject: string; message: string })
  : Promise<boolean> {
  const rows = await em.execute<{ id: string }[]>(
    `insert into support_notices (kind, order_id, subject, message) select ?, id, ?, ? from orders where id = ?
     on conflict (kind, order_id, subject) where subject is not null and resolved_at is null do nothing returning id`,
    [n.kind, storable(n.subject), storable(n.message).slice(0, 4000), n.orderId]);
  return rows.length > 0;
}
