-- Settings a sheet source needs beyond its column map.
--
-- - sheet_sources.decimal_mark: the sheet locale's decimal mark, for an amount whose one separator
--   is followed by exactly three digits (`1.234` is 1234 in de_DE, 1.234 in en_US); null means `.`.
-- (A negative amount in a sales sheet is a refund: `customer_sync_sources.refund_rows`, in
-- 20261204000001_source_registry.sql.)

alter table sheet_sources add column decimal_mark text
  constraint sheet_sources_decimal_mark_check check (decimal_mark in ('.', ','));
