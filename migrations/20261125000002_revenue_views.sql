-- Revenue views. Every source table carries the same money columns, written by its mapper:
-- amount (gross, in currency), currency, amount_usd (when the source states the USD figure),
-- refunded_amount (in currency) and is_revenue (the record is a sale that counts).
-- A row counts in USD when the source gave a USD figure or its currency is USD or unstated;
-- anything else appears in revenue_unconverted, never silently in a USD total.

create view revenue_lines with (security_invoker = true) as
with lines as (
  select 'WHOP'::text as source, w.id, w.user_id, w.external_whop_id as key, w.date, w.source_updated_at,
         w.amount, w.currency, w.amount_usd,
         -- Whop reports refunds both on the payment and as refund objects; count whichever is larger
         -- so a refund seen both ways is not subtracted twice.
         greatest(w.refunded_amount, coalesce(r.refunded, 0)) as refunded
  from whop_data w
  left join (
    select parent_key, sum(refunded_amount) as refunded
    from whop_data
    where parent_key is not null and deleted_at is null
    group by parent_key
  ) r on r.parent_key = w.external_whop_id
  where w.is_revenue and w.deleted_at is null
  union all
  select 'GHL', id, user_id, external_contact_id, date, source_updated_at, amount, currency, amount_usd, refunded_amount
  from ghl_data where is_revenue and deleted_at is null
  union all
  select 'SHEET', id, user_id, row_hash, date, source_updated_at, amount, currency, amount_usd, refunded_amount
  from sheet_data where is_revenue and deleted_at is null
  union all
  select 'ELECTIVE', id, user_id, row_hash, date, source_updated_at, amount, currency, amount_usd, refunded_amount
  from elective_data where is_revenue and deleted_at is null
)
select source, id, user_id, key,
       (date_trunc('month', coalesce(date, source_updated_at) at time zone 'UTC'))::date as month,
       currency,
       gross_usd,
       -- A refund is converted to USD in the payment's own ratio, rounded to the cent per payment.
       case
         when gross_usd is null then null
         when amount_usd is null then refunded
         when amount is null or amount = 0 then 0
         else round(refunded * amount_usd / amount, 2)
       end as refunded_usd,
       amount, refunded
from (
  select l.*,
         case
           when l.amount_usd is not null then l.amount_usd
           when l.currency is null or upper(l.currency) = 'USD' then l.amount
         end as gross_usd
  from lines l
) x;

create view revenue_by_month with (security_invoker = true) as
select month, source,
       sum(gross_usd)::numeric(20, 2) as gross_usd,
       sum(refunded_usd)::numeric(20, 2) as refunded_usd,
       (sum(gross_usd) - sum(refunded_usd))::numeric(20, 2) as net_usd
from revenue_lines
where gross_usd is not null
group by month, source;

create view revenue_by_user with (security_invoker = true) as
select u.id as user_id, u.email, u.name,
       coalesce(s.whop_usd, 0)::numeric(20, 2) as whop_usd,
       coalesce(s.ghl_usd, 0)::numeric(20, 2) as ghl_usd,
       coalesce(s.sheet_usd, 0)::numeric(20, 2) as sheet_usd,
       coalesce(s.elective_usd, 0)::numeric(20, 2) as elective_usd,
       coalesce(s.total_usd, 0)::numeric(20, 2) as total_usd
from users u
left join (
  select user_id,
         sum(gross_usd - refunded_usd) filter (where source = 'WHOP') as whop_usd,
         sum(gross_usd - refunded_usd) filter (where source = 'GHL') as ghl_usd,
         sum(gross_usd - refunded_usd) filter (where source = 'SHEET') as sheet_usd,
         sum(gross_usd - refunded_usd) filter (where source = 'ELECTIVE') as elective_usd,
         sum(gross_usd - refunded_usd) as total_usd
  from revenue_lines
  where gross_usd is not null and user_id is not null
  group by user_id
) s on s.user_id = u.id;

-- Money in other currencies, kept apart rather than summed into USD.
create view revenue_unconverted with (security_invoker = true) as
select month, source, upper(currency) as currency,
       sum(amount) as gross, sum(refunded) as refunded, count(*) as records
from revenue_lines
where gross_usd is null
group by month, source, upper(currency);

revoke all on revenue_lines, revenue_by_month, revenue_by_user, revenue_unconverted from anon, authenticated;
