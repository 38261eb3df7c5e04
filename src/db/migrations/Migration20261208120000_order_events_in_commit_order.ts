import { Migration } from '@mikro-orm/migrations';

/**
 * An order's timeline rows reach the pages following it in the order their transactions commit.
 * Row ids come from one identity sequence when a row is inserted, not when it commits: a
 * transaction that inserted row 10 could commit after another's row 11, and a page that had read
 * row 11 in between asked only for rows after 11 from then on, so it never showed row 10 (a live
 * order page stuck at "allocated" while the order moved on).
 *
 * Now whoever writes an order's events holds a shared advisory lock on that order until it commits
 * (writers never wait for each other), and the read takes the same lock exclusively before it
 * looks: it waits for the order's writers in flight, then reads in a fresh snapshot, and a writer
 * that comes after it inserts with a higher id than any it saw. The reader holds no other lock, so
 * it cannot be part of a deadlock cycle; it waits at most as long as the order's open write.
 */
export class Migration20261208120000_order_events_in_commit_order extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create or replace function record_order_event(p_order uuid, p_kind text, p_status text, p_detail jsonb) returns void
      language plpgsql as $$
      begin
        perform pg_advisory_xact_lock_shared(hashtext('order_events'), hashtext(p_order::text) & 1023);
        insert into order_events (order_id, kind, status, detail) values (p_order, p_kind, p_status, jsonb_strip_nulls(coalesce(p_detail, '{}')));
        perform pg_notify('order_events', p_order::text);
      end $$;`);
    // plpgsql, volatile: its query takes its snapshot after the lock is granted, not when the caller's statement began.
    this.addSql(`
      create function order_events_after(p_order uuid, p_after bigint, p_limit int)
        returns table (id text, kind text, status text, detail jsonb, at timestamptz, "orderStatus" text)
      language plpgsql volatile as $$
      #variable_conflict use_column
      begin
        perform pg_advisory_xact_lock(hashtext('order_events'), hashtext(p_order::text) & 1023);
        return query
          select e.id::text, e.kind, e.status, e.detail, e.at, o.status::text
            from order_events e join orders o on o.id = e.order_id
           where e.order_id = p_order and e.id > p_after
           order by e.id limit p_limit;
      end $$;`);
  }

  override async down(): Promise<void> {
    this.addSql('drop function if exists order_events_after(uuid, bigint, int);');
    this.addSql(`
      create or replace function record_order_event(p_order uuid, p_kind text, p_status text, p_detail jsonb) returns void
      language plpgsql as $$
      begin
        insert into order_events (order_id, kind, status, detail) values (p_order, p_kind, p_status, jsonb_strip_nulls(coalesce(p_detail, '{}')));
        perform pg_notify('order_events', p_order::text);
      end $$;`);
  }
}
