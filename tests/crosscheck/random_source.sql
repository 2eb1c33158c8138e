-- tests/crosscheck/random_source.sql — a second, deliberately rough source
-- for the cross-check, independent of tools/casa-gen: uniform random rows
-- with fractional-second timestamps, many overlapping placements,
-- placements running past discharge, runaway placements, shared providers,
-- reports before the agency's clock, timestamps after as_of, same-day
-- episodes, trafficking identifications. Not realistic;
-- it only has to reach corners the generator rarely does.
--   psql -v n=CHILDREN -f random_source.sql   (into an empty deid schema)
\set ON_ERROR_STOP 1
select setseed(0.42);
insert into deid.children
select i, date_trunc('month', date '2005-01-01' + (random() * 6000)::int)::date,
       (array['female', 'male', 'other', 'unknown'])[1 + (random() * 3)::int],
       (array['aian', 'asian', 'black', 'hispanic', 'nhpi', 'white', 'multiracial',
              'unknown'])[1 + (random() * 7)::int]
from generate_series(1, :n) i;
insert into deid.episodes
select c.child_key * 10 + k, c.child_key, 'County' || (1 + (random() * 9)::int), x.r,
       case when random() < 0.7 then x.r + (10 + random() * 900)::int end,
       (array['reunification', 'relative', 'adoption', 'runaway', 'other'])[1 + (random() * 4)::int]
from deid.children c
cross join lateral generate_series(1, 1 + (random() * 0.7 + c.child_key * 0)::int) k
cross join lateral (select date '2020-01-01' + (random() * 2000)::int + (k * 0)::int as r) x;
update deid.episodes set discharge_reason = null where discharge_date is null;
insert into deid.placements
select e.episode_key * 10 + j, e.episode_key,
       (array['relative_home', 'foster_home', 'group_home', 'runaway', 'hospital',
              'institution'])[1 + (random() * 5)::int],
       case when random() < 0.8 then (random() * 30)::int end,
       e.removal_date + (j - 1) * (20 + (random() * 80)::int),
       case when random() < 0.8 then e.removal_date + j * (20 + (random() * 80)::int) end
from deid.episodes e
cross join lateral generate_series(1, 1 + (random() * 4 + e.episode_key * 0)::int) j;
insert into deid.missing_episodes
select e.episode_key * 10 + j, e.episode_key, x.t, x.t + interval '3 hours' * random() * 10,
       case when random() < 0.9 then x.t + interval '1 hour' * random() * 400 end,
       case when random() < 0.8 then x.t + interval '1 hour' * random() * 40 end,
       case when random() < 0.6 then x.t + interval '1 hour' * random() * 40 end,
       case when random() < 0.5 then x.t + interval '1 hour' * random() * 500 end,
       (array['positive', 'negative', 'inconclusive', null])[1 + (random() * 3)::int]
from deid.episodes e
cross join lateral generate_series(1, (random() * 2.2 + e.episode_key * 0)::int) j
cross join lateral (select (e.removal_date + (random() * 300)::int + (j * 0)::int)::timestamp
                           + interval '1 second' * random() * 86400 as t) x;
insert into deid.advocate_assignments
select e.episode_key, e.episode_key, e.removal_date + (random() * 60)::int,
       case when random() < 0.5 then e.removal_date + (100 + random() * 400)::int end
from deid.episodes e where random() < 0.6;
-- Issue 17, drawn after everything above so that those rows stay as they
-- were: same-day episodes (some on a discharge day of the child: a same-day
-- re-entry) and trafficking identifications around the episodes, either
-- while_in_care, reports around the 24-hour mark.
insert into deid.episodes
select e.child_key * 10 + 9, e.child_key, e.county, x.d, x.d, 'reunification'
from deid.episodes e
cross join lateral (select case when random() < 0.5 and e.discharge_date is not null
                                then e.discharge_date
                                else e.removal_date + (random() * 1500)::int end as d) x
where e.episode_key = e.child_key * 10 + 1 and random() < 0.05;
insert into deid.trafficking_identifications
select e.episode_key * 10 + j, e.episode_key, x.t, random() < 0.7,
       case when random() < 0.85 then x.t + interval '1 hour' * (random() * 40 - 2) end
from deid.episodes e
cross join lateral generate_series(1, (random() * 1.3 + e.episode_key * 0)::int) j
cross join lateral (select (e.removal_date - 30 + (random() * 430)::int + (j * 0)::int)::timestamp
                           + interval '1 second' * random() * 86400 as t) x
where random() < 0.2;
insert into deid.extract_batches values (1, now());
