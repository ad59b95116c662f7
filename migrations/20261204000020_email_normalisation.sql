-- One email normalisation in SQL, the same as TypeScript's `canonicalEmail` (shared/sync/email.ts):
-- format characters (Unicode Cf) removed, NFC, trimmed, lower-cased by simple mappings, NFC again.
-- The three lists below are copied verbatim from that file; a test compares both functions through
-- the database on every character the lists name and on generated spellings.
--
-- The users check now holds every address to that spelling, and people whose addresses differed
-- only by it (a decomposed accent, a zero-width space, a BOM) are merged into one.

do $$
declare
  format_list text :=
    'ad 600-605 61c 6dd 70f 890-891 8e2 180e 200b-200f 202a-202e 2060-2064 2066-206f feff fff9-fffb ' ||
    '110bd 110cd 13430-1343f 1bca0-1bca3 1d173-1d17a e0001 e0020-e007f';
  trim_list text :=
    '9 a b c d 20 a0 1680 2000 2001 2002 2003 2004 2005 2006 2007 2008 2009 200a 2028 2029 202f 205f ' ||
    '3000 feff';
  lower_runs text :=
    '41,1a,1,20 c0,17,1,20 d8,7,1,20 100,18,2,1 130,1,1,-c7 132,3,2,1 139,8,2,1 14a,17,2,1 ' ||
    '178,1,1,-79 179,3,2,1 181,1,1,d2 182,2,2,1 186,1,1,ce 187,1,1,1 189,2,1,cd 18b,1,1,1 18e,1,1,4f ' ||
    '18f,1,1,ca 190,1,1,cb 191,1,1,1 193,1,1,cd 194,1,1,cf 196,1,1,d3 197,1,1,d1 198,1,1,1 ' ||
    '19c,1,1,d3 19d,1,1,d5 19f,1,1,d6 1a0,3,2,1 1a6,1,1,da 1a7,1,1,1 1a9,1,1,da 1ac,1,1,1 1ae,1,1,da ' ||
    '1af,1,1,1 1b1,2,1,d9 1b3,2,2,1 1b7,1,1,db 1b8,1,1,1 1bc,1,1,1 1c4,1,1,2 1c5,1,1,1 1c7,1,1,2 ' ||
    '1c8,1,1,1 1ca,1,1,2 1cb,9,2,1 1de,9,2,1 1f1,1,1,2 1f2,2,2,1 1f6,1,1,-61 1f7,1,1,-38 1f8,14,2,1 ' ||
    '220,1,1,-82 222,9,2,1 23a,1,1,2a2b 23b,1,1,1 23d,1,1,-a3 23e,1,1,2a28 241,1,1,1 243,1,1,-c3 ' ||
    '244,1,1,45 245,1,1,47 246,5,2,1 370,2,2,1 376,1,1,1 37f,1,1,74 386,1,1,26 388,3,1,25 38c,1,1,40 ' ||
    '38e,2,1,3f 391,11,1,20 3a3,9,1,20 3cf,1,1,8 3d8,c,2,1 3f4,1,1,-3c 3f7,1,1,1 3f9,1,1,-7 ' ||
    '3fa,1,1,1 3fd,3,1,-82 400,10,1,50 410,20,1,20 460,11,2,1 48a,1b,2,1 4c0,1,1,f 4c1,7,2,1 ' ||
    '4d0,30,2,1 531,26,1,30 10a0,26,1,1c60 10c7,1,1,1c60 10cd,1,1,1c60 13a0,50,1,97d0 13f0,6,1,8 ' ||
    '1c89,1,1,1 1c90,2b,1,-bc0 1cbd,3,1,-bc0 1e00,4b,2,1 1e9e,1,1,-1dbf 1ea0,30,2,1 1f08,8,1,-8 ' ||
    '1f18,6,1,-8 1f28,8,1,-8 1f38,8,1,-8 1f48,6,1,-8 1f59,4,2,-8 1f68,8,1,-8 1f88,8,1,-8 1f98,8,1,-8 ' ||
    '1fa8,8,1,-8 1fb8,2,1,-8 1fba,2,1,-4a 1fbc,1,1,-9 1fc8,4,1,-56 1fcc,1,1,-9 1fd8,2,1,-8 ' ||
    '1fda,2,1,-64 1fe8,2,1,-8 1fea,2,1,-70 1fec,1,1,-7 1ff8,2,1,-80 1ffa,2,1,-7e 1ffc,1,1,-9 ' ||
    '2126,1,1,-1d5d 212a,1,1,-20bf 212b,1,1,-2046 2132,1,1,1c 2160,10,1,10 2183,1,1,1 24b6,1a,1,1a ' ||
    '2c00,30,1,30 2c60,1,1,1 2c62,1,1,-29f7 2c63,1,1,-ee6 2c64,1,1,-29e7 2c67,3,2,1 2c6d,1,1,-2a1c ' ||
    '2c6e,1,1,-29fd 2c6f,1,1,-2a1f 2c70,1,1,-2a1e 2c72,1,1,1 2c75,1,1,1 2c7e,2,1,-2a3f 2c80,32,2,1 ' ||
    '2ceb,2,2,1 2cf2,1,1,1 a640,17,2,1 a680,e,2,1 a722,7,2,1 a732,1f,2,1 a779,2,2,1 a77d,1,1,-8a04 ' ||
    'a77e,5,2,1 a78b,1,1,1 a78d,1,1,-a528 a790,2,2,1 a796,a,2,1 a7aa,1,1,-a544 a7ab,1,1,-a54f ' ||
    'a7ac,1,1,-a54b a7ad,1,1,-a541 a7ae,1,1,-a544 a7b0,1,1,-a512 a7b1,1,1,-a52a a7b2,1,1,-a515 ' ||
    'a7b3,1,1,3a0 a7b4,8,2,1 a7c4,1,1,-30 a7c5,1,1,-a543 a7c6,1,1,-8a38 a7c7,2,2,1 a7cb,1,1,-a567 ' ||
    'a7cc,8,2,1 a7dc,1,1,-a641 a7f5,1,1,1 ff21,1a,1,20 10400,28,1,28 104b0,24,1,28 10570,b,1,27 ' ||
    '1057c,f,1,27 1058c,7,1,27 10594,2,1,27 10c80,33,1,40 10d50,16,1,20 118a0,20,1,20 16e40,20,1,20 ' ||
    '16ea0,19,1,1b 1e900,22,1,22';
  format_chars text;
  trim_chars text;
  lower_from text := '';
  lower_to text := '';
  run text[];
  i integer;
begin
  -- Hex code points and ranges (`200b-200f`) as the characters themselves.
  select string_agg(chr(cp), '' order by cp) into format_chars
  from regexp_split_to_table(format_list, '\s+') as item,
       generate_series(('x' || lpad(split_part(item, '-', 1), 8, '0'))::bit(32)::int,
                       ('x' || lpad(coalesce(nullif(split_part(item, '-', 2), ''), split_part(item, '-', 1)),
                                    8, '0'))::bit(32)::int) as cp;
  select string_agg(chr(('x' || lpad(item, 8, '0'))::bit(32)::int), '') into trim_chars
  from regexp_split_to_table(trim_list, '\s+') as item;
  -- Runs `first,count,stride,delta` (hex; delta may be negative) as two aligned strings for translate().
  for run in select regexp_split_to_array(item, ',') from regexp_split_to_table(lower_runs, '\s+') as item loop
    for i in 0 .. ('x' || lpad(run[2], 8, '0'))::bit(32)::int - 1 loop
      lower_from := lower_from || chr(('x' || lpad(run[1], 8, '0'))::bit(32)::int
                                      + i * ('x' || lpad(run[3], 8, '0'))::bit(32)::int);
      lower_to := lower_to || chr(('x' || lpad(run[1], 8, '0'))::bit(32)::int
                                  + i * ('x' || lpad(run[3], 8, '0'))::bit(32)::int
                                  + case when left(run[4], 1) = '-'
                                         then -('x' || lpad(substr(run[4], 2), 8, '0'))::bit(32)::int
                                         else ('x' || lpad(run[4], 8, '0'))::bit(32)::int end);
    end loop;
  end loop;
  -- translate() with an empty replacement deletes; the tables become literals of the function, so
  -- it is immutable and usable in a check constraint.
  execute format($f$
    create function customer_sync_normalise_email(p_email text) returns text
    language sql immutable strict parallel safe as $body$
      select case
        -- One byte per character is ASCII (nearly every address): nothing to remove or compose,
        -- only ASCII white space to trim and A-Z to lower-case. translate() walks its table once
        -- per character, so the full tables cost about 140 us an address; this path, a few us.
        when octet_length(p_email) = char_length(p_email)
          then translate(btrim(p_email, E' \t\n\x0b\f\r'), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
                         'abcdefghijklmnopqrstuvwxyz')
        else normalize(translate(btrim(normalize(translate(p_email, %L, ''), NFC), %L), %L, %L), NFC)
      end
    $body$ $f$, format_chars, trim_chars, lower_from, lower_to);
end
$$;

revoke all on function customer_sync_normalise_email(text) from public, anon, authenticated;
-- The users check calls it, so a role that writes users must be able to run it: a pure function
-- that reads nothing.
grant execute on function customer_sync_normalise_email(text) to service_role;

-- People whose addresses are one address once normalised become one: the one already spelled
-- canonically (else the oldest) keeps its id, the others' rows and logs move to it.
create temporary table email_merge as
select id, canonical,
       first_value(id) over (partition by canonical order by (email = canonical) desc, created_at, id) as keep
from (select id, email, created_at, customer_sync_normalise_email(email) as canonical from users) u;

do $$
declare
  s record;
begin
  for s in select table_name from customer_sync_sources loop
    execute format('update %I t set user_id = m.keep from email_merge m where t.user_id = m.id and m.id <> m.keep',
                   s.table_name);
    execute format('update %I set email = customer_sync_normalise_email(email)
                    where email is distinct from customer_sync_normalise_email(email)', s.table_name);
  end loop;
end
$$;
update sync_logs l set user_id = m.keep from email_merge m where l.user_id = m.id and m.id <> m.keep;
delete from users u using email_merge m where u.id = m.id and m.id <> m.keep;
update users u set email = m.canonical from email_merge m where u.id = m.id and u.email <> m.canonical;
drop table email_merge;

alter table users drop constraint users_email_check;
alter table users add constraint users_email_check
  check (email = customer_sync_normalise_email(email) and email <> '');
