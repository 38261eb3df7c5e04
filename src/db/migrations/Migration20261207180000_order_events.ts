import { Migration } from '@mikro-orm/migrations';

/**
 * An order's timeline as the database sees it, for the storefront's live order page
 * (GET /orders/:id/events): one row per change of the order, its payment, its fulfillment, its
 * parcel (label bought, each carrier scan) and its refunds, written by triggers in the same
 * transaction as the change itself, so whoever writes (an activity, support, a webhook, a script)
 * the timeline cannot miss it or get it without the change. Each row also raises
 * `NOTIFY order_events, '<order id>'`, delivered at commit: an API process listens once and reads
 * the new rows of the orders its open pages follow, instead of every page asking Temporal.
 */
export class Migration20261207180000_order_events extends Migration {
  override async up(): Promise<void> {
    this.addSql(`
      create table order_events (
        id bigint generated always as identity primary key,
        order_id uuid not null references orders(id) on delete cascade,
        kind text not null check (kind in ('order', 'payment', 'fulfillment', 'shipment', 'scan', 'refund')),
        status text not null,
        detail jsonb not null default '{}',
        at timestamptz not null default now()
      );`);
    this.addSql('create index order_events_order_idx on order_events (order_id, id);');
    this.addSql(`
      create function record_order_event(p_order uuid, p_kind text, p_status text, p_detail jsonb) returns void
      language plpgsql as $$
      begin
        insert into order_events (order_id, kind, status, detail) values (p_order, p_kind, p_status, jsonb_strip_nulls(coalesce(p_detail, '{}')));
        perform pg_notify('order_events', p_order::text);
      end $$;`);

    this.addSql(`
      create function order_events_of_orders() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or new.status is distinct from old.status then
          perform record_order_event(new.id, 'order', new.status, '{}');
        end if;
        return null;
      end $$;`);
    this.addSql('create trigger orders_record_events after insert or update of status on orders for each row execute function order_events_of_orders();');

    this.addSql(`
      create function order_events_of_payments() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or new.status is distinct from old.status then
          perform record_order_event(new.order_id, 'payment', new.status,
            jsonb_build_object('declineCode', new.failure_code, 'amount', new.amount, 'currency', new.currency));
        end if;
        return null;
      end $$;`);
    this.addSql('create trigger payments_record_events after insert or update of status on payments for each row execute function order_events_of_payments();');

    this.addSql(`
      create function order_events_of_fulfillments() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or new.status is distinct from old.status then
          -- Who packed stays with support: the customer sees the step, not the staff member.
          perform record_order_event(new.order_id, 'fulfillment', new.status, jsonb_build_object('warehouse', new.warehouse));
        end if;
        return null;
      end $$;`);
    this.addSql('create trigger fulfillments_record_events after insert or update of status on fulfillments for each row execute function order_events_of_fulfillments();');

    // The parcel's own status follows its scans (recorded below); here only the label and its voiding.
    this.addSql(`
      create function order_events_of_shipments() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or (new.status = 'voided' and old.status is distinct from 'voided') then
          perform record_order_event(new.order_id, 'shipment', new.status,
            jsonb_build_object('carrier', new.carrier, 'trackingNumber', new.tracking_number));
        end if;
        return null;
      end $$;`);
    this.addSql('create trigger shipments_record_events after insert or update of status on shipments for each row execute function order_events_of_shipments();');

    this.addSql(`
      create function order_events_of_scans() returns trigger language plpgsql as $$
      begin
        -- A scan support recorded by hand describes who recorded it (src/support/actions.ts): that stays with support.
        perform record_order_event(s.order_id, 'scan', new.status,
          jsonb_build_object('description', case when new.description like 'recorded by hand by %' then null else nullif(new.description, '') end,
            'occurredAt', new.occurred_at, 'carrier', s.carrier,
            'trackingNumber', s.tracking_number))
          from shipments s where s.id = new.shipment_id;
        return null;
      end $$;`);
    this.addSql('create trigger shipment_events_record_events after insert on shipment_events for each row execute function order_events_of_scans();');

    this.addSql(`
      create function order_events_of_refunds() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' or new.status is distinct from old.status then
          perform record_order_event(p.order_id, 'refund', new.status, jsonb_build_object('amount', new.amount, 'currency', p.currency))
            from payments p where p.id = new.payment_id;
        end if;
        return null;
      end $$;`);
    this.addSql('create trigger refunds_record_events after insert or update of status on refunds for each row execute function order_events_of_refunds();');

    // Orders placed before this migration start their timeline at the status they have now.
    this.addSql(`insert into order_events (order_id, kind, status, at) select id, 'order', status, updated_at from orders order by created_at;`);
  }

  override async down(): Promise<void> {
    for (const table of ['orders', 'payments', 'fulfillments', 'shipments', 'shipment_events', 'refunds']) {
      this.addSql(`drop trigger if exists ${table}_record_events on ${table};`);
    }
    for (const fn of ['orders', 'payments', 'fulfillments', 'shipments', 'scans', 'refunds']) this.addSql(`drop function if exists order_events_of_${fn}();`);
    this.addSql('drop function if exists record_order_event(uuid, text, text, jsonb);');
    this.addSql('drop table if exists order_events;');
  }
}
