import { Migration } from '@mikro-orm/migrations';

/**
 * Support's notices also say when a step can never succeed: a compensation the database or the
 * provider refuses for good (compensation_failed) and a customer message that cannot be kept or
 * sent (message_failed). A notice names what it is about (`subject`: the compensation, the message's
 * template and channel), and an order has one open notice per subject and kind, so a retried
 * activity never raises it twice.
 */
export class Migration20261207130000_failure_notices extends Migration {
  override async up(): Promise<void> {
    this.addSql(`alter table support_notices add column subject text;`);
    this.addSql(`create unique index support_notices_subject_idx on support_notices (kind, order_id, subject)
      where subject is not null and resolved_at is null;`);
  }

  override async down(): Promise<void> {
    this.addSql(`drop index if exists support_notices_subject_idx;`);
    this.addSql(`alter table support_notices drop column subject;`);
  }
}
