-- A fingerprint of each source row's raw object, written by the sync engine, so a re-sync finds the
-- records that changed by comparing fingerprints instead of resending every raw object. Rows
-- written before this column existed have none and are rewritten once, which fills it in.
alter table whop_data add column content_hash text;
alter table ghl_data add column content_hash text;
alter table sheet_data add column content_hash text;
alter table elective_data add column content_hash text;
