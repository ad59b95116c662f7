-- The Elective feed (Zapier) beside the Elective exports, in elective_data: one order counted once
-- whichever way it arrives (README, "Elective revenue rules").
--
-- Feed rows live in scope (source_url) 'elective:zapier', one per fact (map-zapier-event.ts):
--   sale:<order>                          Order Completed; counts its total unless In-House
--   installment:<order>:<date>:<amount>   Installment Charged; counts its amount
--   refund:<order>, cancel:<order>        Order Refunded / Canceled; count nothing themselves
-- parent_key: an installment, refund or cancellation names its order's sale (`sale:<order>`); a
-- sale and an export row carry their purchase match key (`m:<minute>|<total>|<name>#<product>`,
-- match-key.ts). ELECTIVE has no child refunds, so the views never read parent_key.
--
-- The engine writes each record as its source states it. What depends on other records is settled
-- here, in the same statement (an AFTER trigger), whichever arrives first:
--   * an order's person is the email of its latest event, on every row of the order;
--   * a refunded order's counted rows are refunded in full (refunded equals what was counted);
--   * an export row with a feed sale of the same purchase is priced at 0 USD (amount_usd = 0: its
--     status and amounts stay as the export states them, the views count the feed's order), and
--     takes the sale's person when the two match one to one; an ambiguous match takes nobody and
--     is listed in elective_ambiguous_orders.
-- These three columns (user_id, refunded_amount, amount_usd) are derived: an engine rewrite that
-- changes nothing else (a re-import of a linked export row) is skipped, so it stays a no-op.

create index elective_data_match_idx on elective_data ((split_part(parent_key, '#', 1)))
  where parent_key like 'm:%' and deleted_at is null;

-- Export rows matching a purchase match key, with the feed sales whose product agrees with theirs
-- (a side without a product agrees with any).
create function elective_match_pairs(p_base text)
returns table (export_id uuid, scope text, email text, sale_key text, sale_user uuid)
language sql stable as $$
  with rows as (
    select id, source_url, row_hash, email, user_id, split_part(parent_key, '#', 2) as product
    from elective_data
    where split_part(parent_key, '#', 1) = p_base and parent_key like 'm:%' and deleted_at is null
  )
  select e.id, e.source_url, e.email, s.row_hash, s.user_id
  from rows e
  left join rows s
    on s.source_url = 'elective:zapier' and s.row_hash like 'sale:%'
   and (s.product = '' or e.product = '' or s.product = e.product)
  where e.source_url <> 'elective:zapier'
$$;

-- Settles the export rows of one match key.
create function elective_settle_match(p_base text) returns void
language plpgsql as $$
begin
  with pairs as (select * from elective_match_pairs(p_base)),
  verdict as (
    select p.export_id, p.email,
           count(p.sale_key) as sales,
           min(p.sale_key) as sale_key
    from pairs p group by p.export_id, p.email
  ),
  settled as (
    select v.export_id,
           case when v.sales > 0 then 0::numeric end as amount_usd,
           case
             -- one to one: one sale for this row, and no other row of its scope for that sale
             when v.sales = 1 and (select count(*) from pairs q, pairs r
                                    where q.export_id = v.export_id and r.sale_key = v.sale_key
                                      and r.scope = q.scope) = 1
               then (select sale_user from pairs q where q.sale_key = v.sale_key limit 1)
             else (select id from users where email = v.email)
           end as user_id
    from verdict v
  )
  update elective_data d
     set amount_usd = s.amount_usd, user_id = s.user_id
    from settled s
   where d.id = s.export_id
     and (d.amount_usd is distinct from s.amount_usd or d.user_id is distinct from s.user_id);
end
$$;

-- Settles every feed row of one order (by its sale key), then the export rows of its purchase.
create function elective_settle_order(p_sale text) returns void
language plpgsql as $$
declare
  v_person uuid;
  v_refunded boolean;
  v_match text;
begin
  -- The latest event that names a person (rows keep the email their event carried).
  select u.id into v_person
    from elective_data r join users u on u.email = r.email
   where r.source_url = 'elective:zapier' and (r.row_hash = p_sale or r.parent_key = p_sale)
     and r.deleted_at is null
   order by r.source_updated_at desc, r.created_at desc
   limit 1;
  select exists (select 1 from elective_data r
                  where r.source_url = 'elective:zapier' and r.parent_key = p_sale
                    and r.row_hash like 'refund:%' and r.deleted_at is null)
    into v_refunded;
  update elective_data r
     set user_id = v_person,
         refunded_amount = case when v_refunded and r.is_revenue then coalesce(r.amount, 0) else 0 end
   where r.source_url = 'elective:zapier' and (r.row_hash = p_sale or r.parent_key = p_sale)
     and (r.user_id is distinct from v_person
          or r.refunded_amount <> case when v_refunded and r.is_revenue then coalesce(r.amount, 0) else 0 end);
  select parent_key into v_match from elective_data
   where source_url = 'elective:zapier' and row_hash = p_sale and parent_key like 'm:%';
  if v_match is not null then
    perform elective_settle_match(split_part(v_match, '#', 1));
  end if;
end
$$;

-- BEFORE UPDATE: an engine rewrite that differs from the stored row only in the derived columns
-- changes nothing; skipping it keeps a re-import a no-op. (Depth 1 is the engine's own statement;
-- the settling updates below run deeper and always go through.)
create function elective_data_skip_derived() returns trigger
language plpgsql as $$
begin
  if pg_trigger_depth() = 1
     and (new.source_url, new.row_hash, new.parent_key, new.email, new.name, new.data, new.content_hash,
          new.amount, new.currency, new.is_revenue, new.date, new.deleted_at)
         is not distinct from
         (old.source_url, old.row_hash, old.parent_key, old.email, old.name, old.data, old.content_hash,
          old.amount, old.currency, old.is_revenue, old.date, old.deleted_at) then
    return null;
  end if;
  return new;
end
$$;

-- AFTER INSERT OR UPDATE: settles what the written row changes.
create function elective_data_settle() returns trigger
language plpgsql as $$
begin
  if pg_trigger_depth() > 1 then
    return null;
  end if;
  if new.source_url = 'elective:zapier' then
    perform elective_settle_order(case when new.row_hash like 'sale:%' then new.row_hash else new.parent_key end);
  elsif new.parent_key like 'm:%' then
    perform elective_settle_match(split_part(new.parent_key, '#', 1));
  end if;
  -- A row whose match key changed (a corrected name) or that left its scope: settle where it was.
  if tg_op = 'UPDATE' and old.parent_key like 'm:%'
     and (old.parent_key is distinct from new.parent_key or new.deleted_at is not null) then
    perform elective_settle_match(split_part(old.parent_key, '#', 1));
  end if;
  return null;
end
$$;

create trigger elective_data_skip_derived before update on elective_data
  for each row execute function elective_data_skip_derived();
create trigger elective_data_settle after insert or update on elective_data
  for each row execute function elective_data_settle();

-- Export rows the feed covers but that take nobody: more than one feed sale fits them, or their
-- sale fits more than one row of their scope. They count nothing (the feed's orders do) and wait
-- for a person to be assigned by hand or by a corrected export.
create view elective_ambiguous_orders with (security_invoker = true) as
select e.id, e.source_url as scope, e.date as purchase_date, e.name, e.amount as order_total,
       split_part(e.parent_key, '#', 2) as product,
       m.sales as feed_orders, m.rows as export_rows
from elective_data e
cross join lateral (
  select count(distinct p.sale_key) as sales,
         (select count(distinct q.export_id) from elective_match_pairs(split_part(e.parent_key, '#', 1)) q
           where q.scope = e.source_url and q.sale_key = any (array_agg(p.sale_key))) as rows
  from elective_match_pairs(split_part(e.parent_key, '#', 1)) p
  where p.export_id = e.id and p.sale_key is not null
) m
where e.source_url <> 'elective:zapier' and e.parent_key like 'm:%' and e.deleted_at is null
  and m.sales > 0 and (m.sales > 1 or m.rows > 1);

-- One row per order from the feed: its state, what it counted, and Elective's fees and net as
-- Zapier sent them. An order is described by its sale, else its refund or cancellation, else its
-- latest installment (whose total and date are the installment's, so those are left empty).
create view elective_orders with (security_invoker = true) as
with feed as (
  select r.*, case when r.row_hash like 'sale:%' then r.row_hash else r.parent_key end as sale_key,
         split_part(r.row_hash, ':', 1) as kind
  from elective_data r
  where r.source_url = 'elective:zapier' and r.deleted_at is null
), described as (
  select distinct on (sale_key) *
  from feed
  order by sale_key, case kind when 'sale' then 0 when 'installment' then 2 else 1 end, source_updated_at desc
)
select substr(o.sale_key, 6) as order_key, u.email, o.name, o.data ->> 'type' as type,
       case when o.kind <> 'installment' then o.date end as purchase_date, o.currency,
       case when o.kind <> 'installment' then o.amount end as order_total,
       o.data ->> 'fees' as fees, o.data ->> 'net_amount' as net_amount,
       case when bool_or(f.kind = 'refund') then 'refunded'
            when bool_or(f.kind = 'cancel') then 'canceled'
            when bool_or(f.kind = 'sale') then 'completed'
            else 'charged' end as state,
       count(*) filter (where f.kind = 'installment') as installments,
       coalesce(sum(f.amount) filter (where f.is_revenue), 0) as counted,
       coalesce(sum(f.refunded_amount) filter (where f.is_revenue), 0) as refunded,
       coalesce(sum(f.amount - f.refunded_amount) filter (where f.is_revenue), 0) as net_counted,
       (select count(*) from elective_data e
         where o.kind = 'sale' and e.source_url <> 'elective:zapier' and e.deleted_at is null
           and e.parent_key like 'm:%' and split_part(e.parent_key, '#', 1) = split_part(o.parent_key, '#', 1)
           and e.amount_usd = 0) as export_rows
from described o
join feed f on f.sale_key = o.sale_key
left join users u on u.id = o.user_id
group by o.sale_key, o.kind, o.parent_key, u.email, o.name, o.data, o.date, o.currency, o.amount;

revoke all on elective_ambiguous_orders, elective_orders from public, anon, authenticated;
grant select on elective_ambiguous_orders, elective_orders to service_role;
revoke all on function elective_match_pairs(text), elective_settle_match(text), elective_settle_order(text),
  elective_data_skip_derived(), elective_data_settle()
  from public, anon, authenticated, service_role;
-- The trigger calls these as whoever writes elective_data, and the view as whoever reads it; they
-- do nothing service_role could not do to elective_data and users directly.
grant execute on function elective_match_pairs(text), elective_settle_match(text), elective_settle_order(text)
  to service_role;
