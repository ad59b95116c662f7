-- Settings a sheet source needs beyond its column map, and what a sales sheet's refund rows mean.
--
-- - sheet_sources.decimal_mark: the sheet locale's decimal mark, for an amount whose one separator
--   is followed by exactly three digits (`1.234` is 1234 in de_DE, 1.234 in en_US); null means `.`.
-- - A negative amount in a sales sheet (`-50`, `(50.00)`) is a refund: the row is stored with no
--   amount and refunded_amount 50, and revenue_lines counts it as gross 0, refunded 50, so
--   refunded_usd holds it and gross never goes negative. The view function below is the one of
--   20261204000021_convergence.sql with only that case added to gross_usd.

alter table sheet_sources add column decimal_mark text
  constraint sheet_sources_decimal_mark_check check (decimal_mark in ('.', ','));

-- Which sources store a refund row without its sale (no amount, a refunded amount): the sales
-- sheets. Elsewhere a line without an amount (a Whop payment whose totals are all null) stays
-- without a USD gross and is listed in revenue_unconverted, as before.
alter table customer_sync_sources add column refund_rows boolean not null default false;
update customer_sync_sources set refund_rows = true where name = 'SHEET';

create or replace function customer_sync_build_views() returns void
language plpgsql as $$
declare
  s record;
  names text := '';
  lines text := '';
  contested text := '';
  columns text := '';
  filters text := '';
  sep text := '';
  line_sep text := '';
begin
  for s in select * from customer_sync_sources order by position loop
    names := names || sep || format(
      'select user_id, name, %s as priority, source_updated_at from %I
        where user_id is not null and name is not null and deleted_at is null',
      s.name_priority, s.table_name);
    contested := contested || sep || format(
      'select %L::text as source, %I as key, parent_key, user_id, ''open_dispute''::text as problem,
              format(''%%s %%s contested since %%s; not subtracted unless lost'', contested_amount,
                     coalesce(currency, ''USD''), to_char(coalesce(date, source_updated_at), ''YYYY-MM-DD'')) as detail,
              contested_amount as amount, currency
       from %I where contested_amount > 0 and deleted_at is null',
      s.name, s.key_column, s.table_name);
    sep := ' union all ';
    continue when s.revenue_column is null;
    if s.child_refunds then
      lines := lines || line_sep || format(
        'select %L::text as source, t.id, t.user_id, t.%I as key, t.date, t.source_updated_at,
                t.amount, t.currency, t.amount_usd,
                greatest(t.refunded_amount, coalesce(r.refunded, 0)) as refunded_stated,
                %L::boolean as refund_rows
         from %I t
         left join (select parent_key, sum(refunded_amount) as refunded from %I
                     where parent_key is not null and deleted_at is null group by parent_key) r
           on r.parent_key = t.%I
         where t.is_revenue and t.deleted_at is null',
        s.name, s.key_column, s.refund_rows, s.table_name, s.table_name, s.key_column);
    else
      lines := lines || line_sep || format(
        'select %L::text as source, id, user_id, %I as key, date, source_updated_at,
                amount, currency, amount_usd, refunded_amount as refunded_stated,
                %L::boolean as refund_rows
         from %I where is_revenue and deleted_at is null',
        s.name, s.key_column, s.refund_rows, s.table_name);
    end if;
    line_sep := ' union all ';
    columns := columns || format('coalesce(s.%1$I, 0)::numeric(20, 2) as %1$I, ', s.revenue_column);
    filters := filters || format(
      'sum(gross_usd - refunded_usd) filter (where source = %L) as %I, ', s.name, s.revenue_column);
  end loop;

  drop view if exists revenue_problems, revenue_unconverted, revenue_by_user, revenue_by_month, revenue_lines,
    person_names;

  execute 'create view person_names as ' || names;

  -- A row counts in USD when the source gave a USD figure or its currency is USD or unstated;
  -- anything else appears in revenue_unconverted, never silently in a USD total. Money taken back
  -- (refunds, lost disputes) counts up to the payment's amount, converted in the payment's ratio.
  execute format($v$
    create view revenue_lines with (security_invoker = true) as
    with lines as (%s)
    select source, id, user_id, key,
           (date_trunc('month', coalesce(date, source_updated_at) at time zone 'UTC'))::date as month,
           currency,
           gross_usd,
           case
             when gross_usd is null then null
             when amount_usd is null then refunded
             when amount is null or amount = 0 then 0
             else round(refunded * amount_usd / amount, 2)
           end as refunded_usd,
           amount, refunded,
           refunded_stated - refunded as refunded_excess,
           case when refunded < refunded_stated then
             format('refunds and lost disputes of %%s %%s exceed the payment''s %%s; %%s not counted',
                    refunded_stated, coalesce(currency, 'USD'), amount, refunded_stated - refunded)
           end as problem
    from (
      select l.*,
             case when l.amount is not null and l.refunded_stated > l.amount then greatest(l.amount, 0)
                  else l.refunded_stated end as refunded,
             case
               when l.amount_usd is not null then l.amount_usd
               when l.currency is not null and upper(l.currency) <> 'USD' then null
               -- A refund without its sale (a negative amount in a sales sheet): nothing sold, the
               -- refund counted whole in refunded_usd.
               when l.amount is null and l.refunded_stated > 0 and l.refund_rows then 0
               else l.amount
             end as gross_usd
      from lines l
    ) x$v$, lines);

  create view revenue_by_month with (security_invoker = true) as
  select month, source,
         sum(gross_usd)::numeric(20, 2) as gross_usd,
         sum(refunded_usd)::numeric(20, 2) as refunded_usd,
         (sum(gross_usd) - sum(refunded_usd))::numeric(20, 2) as net_usd
  from revenue_lines
  where gross_usd is not null
  group by month, source;

  execute format($v$
    create view revenue_by_user with (security_invoker = true) as
    select u.id as user_id, u.email, u.name,
           %s
           coalesce(s.total_usd, 0)::numeric(20, 2) as total_usd
    from users u
    left join (
      select user_id,
             %s
             sum(gross_usd - refunded_usd) as total_usd
      from revenue_lines
      where gross_usd is not null and user_id is not null
      group by user_id
    ) s on s.user_id = u.id$v$, columns, filters);

  create view revenue_unconverted with (security_invoker = true) as
  select month, source, upper(currency) as currency,
         sum(amount) as gross, sum(refunded) as refunded, count(*) as records
  from revenue_lines
  where gross_usd is null
  group by month, source, upper(currency);

  -- What the totals leave out or hold back, line by line: money taken back beyond a payment's
  -- amount, and open disputes.
  execute format($v$
    create view revenue_problems with (security_invoker = true) as
    select source, key, null::text as parent_key, user_id, 'refund_exceeds_payment'::text as problem,
           problem as detail, refunded_excess as amount, currency
    from revenue_lines where problem is not null
    union all %s$v$, contested);

  revoke all on person_names, revenue_lines, revenue_by_month, revenue_by_user, revenue_unconverted,
    revenue_problems from anon, authenticated;
  grant select on revenue_lines, revenue_by_month, revenue_by_user, revenue_unconverted, revenue_problems
    to service_role;
end
$$;

revoke all on function customer_sync_build_views() from public, anon, authenticated, service_role;

select customer_sync_build_views();
