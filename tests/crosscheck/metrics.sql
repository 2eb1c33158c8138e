-- tests/crosscheck/metrics.sql — an independent SQL implementation of every
-- metric of SPEC §4, read rule by rule from docs/metrics.md, written without
-- looking at src/metrics*.c. It is the other half of the cross-check: the C
-- engine's raw cells (tests/tools/casa-dump) must equal these on every cell.
--
-- Clarity over speed: days in care are expanded one row per (episode, day)
-- with generate_series, so every rule reads as "count the days / events
-- whose attributes are ...". It only has to run on test data (~5 000
-- children).
--
-- Variables (psql -v):
--   as_of     last day of data, 'YYYY-MM-DD'
--   fy_start  fiscal-year start month, 1..12
--   window_s  screening window in seconds (259200 = 72 h)
--   schema    the source schema (deid)
--   issue17   optional, default off: on = the rules of issue 17 as read in
--             docs/metrics.md (same-day episodes kept, the 12-month
--             maturity of runaway_within_12m_of_entry_pct) and its eight
--             new metrics (metrics17.sql, included below). Switching the
--             default here to on switches the whole cross-check over.
--   cells_out optional, default sql_cells: the output table's name
--             (metrics17.sql, run by itself, writes sql_cells17).
--   earliest  optional, default 2000-01-01 (the daemon's earliest_date):
--             rows starting before it are left out (issue 16 row 1).
-- The session TimeZone must be the zone under test: timestamps become dates
-- with ::date in that zone (SPEC §3).
--
-- Output: crosscheck.sql_cells(metric, period_type, dim, period, grp,
-- numerator, denominator, quantile_2s, children), one row per cell whose numerator or
-- denominator is nonzero. Quantile metrics: numerator null, denominator =
-- episodes, quantile_2s = twice the statistic in seconds. still_missing_count:
-- numerator = children, denominator null.
--
-- RAW CELLS OF SYNTHETIC TEST DATA ONLY: never point this at real data.

\set ON_ERROR_STOP 1
\if :{?issue17}
\else
\set issue17 on
\endif
\if :{?cells_out}
\else
\set cells_out sql_cells
\endif
\if :{?earliest}
\else
\set earliest 2000-01-01
\endif
set client_min_messages = warning;
set work_mem = '256MB';
set jit = off;

create schema if not exists crosscheck;
drop table if exists crosscheck.:"cells_out";

-- ---------------------------------------------------------------------------
-- Helpers
-- ---------------------------------------------------------------------------

-- Whole years from birth_month (always the 1st after cleaning) to d: the
-- months between them, floored to years (negative before birth).
create or replace function pg_temp.age_years(birth_month date, d date) returns int
language sql immutable as $$
	select floor(((extract(year from d) - extract(year from birth_month)) * 12
		+ extract(month from d) - extract(month from birth_month)) / 12.0)::int
$$;

-- SPEC §3 age bands; a negative age (bad data) reads as 0-5 (docs/metrics.md).
create or replace function pg_temp.age_band(age int) returns text
language sql immutable as $$
	select case when age < 6 then '0-5' when age < 12 then '6-11'
		when age < 15 then '12-14' when age < 18 then '15-17' else '18+' end
$$;

-- Fiscal year label: named by the calendar year in which it ends (date.h).
create or replace function pg_temp.fy_label(d date, fy_start int) returns text
language sql immutable as $$
	select 'FY' || (extract(year from d)::int
		+ case when fy_start > 1 and extract(month from d) >= fy_start then 1 else 0 end)
$$;

-- The four period labels of a day, as (period_type, period) rows.
create or replace function pg_temp.periods_of(d date, fy_start int)
returns table (period_type text, period text)
language sql immutable as $$
	values ('month', to_char(d, 'YYYY-MM')),
	       ('quarter', to_char(d, 'YYYY') || '-Q' || extract(quarter from d)),
	       ('year', to_char(d, 'YYYY')),
	       ('fiscal_year', pg_temp.fy_label(d, fy_start))
$$;

-- Which breakdowns and period types each metric has (SPEC §4, docs/metrics.md).
create temp table x_metric (metric text primary key, kind text, period_types text[], dims text[]);
insert into x_metric
select m.metric, m.kind,
       case when m.cohort then array['year', 'fiscal_year']
            else array['month', 'quarter', 'year', 'fiscal_year'] end,
       array['total', 'county', 'age_band', 'sex', 'race_ethnicity', 'advocate']
       || case when m.extra is null then array[]::text[] else array[m.extra] end
from (values
	('placement_moves_per_1000_days', 'rate', true, null),
	('moves_per_1000_days_in_care', 'rate', false, null),
	('two_or_fewer_placements_pct', 'percent', false, 'los_band'),
	('runaway_episodes_per_1000_days', 'rate', false, 'setting'),
	('youth_with_runaway_pct', 'percent', false, 'setting'),
	('repeat_runaway_pct', 'percent', false, 'setting'),
	('days_missing_median', 'quantile', false, 'setting'),
	('days_missing_p90', 'quantile', false, 'setting'),
	('returned_within_7_days_pct', 'percent', false, 'setting'),
	('still_missing_count', 'count', false, 'setting'),
	('reported_le_24h_pct', 'percent', false, 'setting'),
	('reported_ncmec_24h_pct', 'percent', false, 'setting'),
	('screened_after_return_pct', 'percent', false, 'setting'),
	('screened_positive_pct', 'percent', false, 'setting'),
	('runaway_discharges_pct', 'percent', false, 'setting'),
	('runaway_within_12m_of_entry_pct', 'percent', true, null)
) as m(metric, kind, cohort, extra);

-- ---------------------------------------------------------------------------
-- 1. Cleaning: the data-quality rules of SPEC §2, first match wins:
--    null required -> duplicate key (stream order = physical order, ctid) ->
--    starts after as_of (ignored) -> dangling or dropped parent -> the
--    table's own rules. Then the model's clipping (open ends = as_of + 1).
--    Only the first row of a key can be kept: a key is "seen" by its first
--    row even when that row falls to the null rule. (A null episode_key
--    etc. joins no parent, so the join drops it.)
-- ---------------------------------------------------------------------------

create temp table x_child as
with kept as (
	select child_key, birth_month, sex, race_ethnicity,
	       row_number() over (partition by child_key order by ctid) as copy_no
	from :"schema".children
	where child_key is not null
)
select child_key,
       date_trunc('month', birth_month)::date as birth_month, -- keep_birth_month_not_first
       case when sex in ('female', 'male', 'other', 'unknown') then sex
            else 'unknown' end as sex,
       case when race_ethnicity in ('aian', 'asian', 'black', 'hispanic', 'nhpi', 'white',
                                    'multiracial', 'unknown') then race_ethnicity
            else 'unknown' end as race
from kept where copy_no = 1 and birth_month is not null;
analyze x_child;

-- end_date = end(e) = min(discharge_date, as_of + 1): the first day not in care.
create temp table x_ep as
with kept as (
	select e.*, row_number() over (partition by episode_key order by ctid) as copy_no
	from :"schema".episodes e
	where episode_key is not null
)
select e.episode_key, e.child_key, e.county, e.removal_date,
       case when e.discharge_date <= :'as_of'::date then e.discharge_date end as discharge_date,
       least(coalesce(e.discharge_date, :'as_of'::date + 1), :'as_of'::date + 1) as end_date,
       case when e.discharge_date is null or e.discharge_date > :'as_of'::date then null
            when e.discharge_reason in ('reunification', 'relative', 'adoption', 'guardianship',
                                        'emancipation', 'transfer', 'runaway', 'death', 'other')
            then e.discharge_reason
            else 'other' end as discharge_reason,
       c.birth_month, c.sex, c.race
from kept e
join x_child c on c.child_key = e.child_key          -- dangling / dropped parent
where e.copy_no = 1
  and e.child_key is not null and e.county is not null and e.removal_date is not null
  and e.removal_date <= :'as_of'::date                -- ignored_after_as_of
  and e.removal_date >= :'earliest'::date             -- drop_before_earliest_date
  -- ends before start; issue 17 keeps an episode discharged on its removal day
  and (e.discharge_date is null or e.discharge_date > e.removal_date
       or (:'issue17'::boolean and e.discharge_date = e.removal_date));
analyze x_ep;

create temp table x_pl as
with kept as (
	select p.*, row_number() over (partition by placement_key order by ctid) as copy_no
	from :"schema".placements p
	where placement_key is not null
)
select p.placement_key, p.episode_key, p.setting, p.provider_key, p.start_date,
       -- open or after as_of -> open; cut at discharge (keep_placement_after_discharge)
       least(coalesce(p.end_date, e.end_date), e.end_date) as end_date
from kept p
join x_ep e on e.episode_key = p.episode_key
where p.copy_no = 1
  and p.setting is not null and p.start_date is not null
  and p.start_date <= :'as_of'::date
  and (p.end_date is null or p.end_date > p.start_date)
  and p.setting in ('relative_home', 'foster_home', 'pre_adoptive_home', 'group_home',
                    'institution', 'supervised_independent_living', 'trial_home_visit',
                    'runaway', 'respite', 'hospital', 'detention')
  and p.start_date >= e.removal_date and p.start_date < e.end_date; -- starts in care
analyze x_pl;

create temp table x_asg as
with kept as (
	select a.*, row_number() over (partition by assignment_key order by ctid) as copy_no
	from :"schema".advocate_assignments a
	where assignment_key is not null
)
select a.episode_key, a.start_date,
       least(coalesce(a.end_date, :'as_of'::date + 1), :'as_of'::date + 1) as end_date
from kept a
join x_ep e on e.episode_key = a.episode_key
where a.copy_no = 1
  and a.start_date is not null
  and a.start_date <= :'as_of'::date
  and (a.end_date is null or a.end_date > a.start_date)
  and a.start_date >= e.removal_date and a.start_date < e.end_date;
analyze x_asg;

-- Timestamps as Unix seconds; any whose local date is after as_of is null
-- (not yet happened); the agency's clock t0 defaults to went_missing_at.
create temp table x_miss as
with kept as (
	select m.*, row_number() over (partition by missing_key order by ctid) as copy_no
	from :"schema".missing_episodes m
	where missing_key is not null
),
clipped as (
	select m.missing_key, m.episode_key, m.went_missing_at,
	       m.went_missing_at::date as begin_day,
	       case when m.agency_informed_at::date <= :'as_of'::date then m.agency_informed_at end
		       as agency_informed_at,
	       case when m.returned_at::date <= :'as_of'::date then m.returned_at end as returned_at,
	       case when m.reported_le_at::date <= :'as_of'::date then m.reported_le_at end
		       as reported_le_at,
	       case when m.reported_ncmec_at::date <= :'as_of'::date then m.reported_ncmec_at end
		       as reported_ncmec_at,
	       case when m.screened_at::date <= :'as_of'::date then m.screened_at end as screened_at,
	       m.screen_result, m.copy_no, m.returned_at as raw_returned_at
	from kept m
)
select m.missing_key, m.episode_key, m.begin_day,
       m.returned_at::date as end_day,
       floor(extract(epoch from m.went_missing_at))::bigint as missing_s,
       floor(extract(epoch from coalesce(m.agency_informed_at, m.went_missing_at)))::bigint as t0_s,
       floor(extract(epoch from m.returned_at))::bigint as returned_s,
       floor(extract(epoch from m.reported_le_at))::bigint as le_s,
       floor(extract(epoch from m.reported_ncmec_at))::bigint as ncmec_s,
       floor(extract(epoch from m.screened_at))::bigint as screened_s,
       coalesce(m.screen_result = 'positive', false) as positive
from clipped m
join x_ep e on e.episode_key = m.episode_key
where m.copy_no = 1
  and m.went_missing_at is not null
  and m.begin_day <= :'as_of'::date
  and not coalesce(m.raw_returned_at < m.went_missing_at, false)
  and m.begin_day >= e.removal_date and m.begin_day < e.end_date;
analyze x_miss;

-- ---------------------------------------------------------------------------
-- 2. Days in care, one row per (episode, day), with the day's groups.
-- ---------------------------------------------------------------------------

-- The placement covering each day: the later one in (start_date,
-- placement_key) order when two cover it. prev_setting: the placement just
-- before it in that order (any setting), for the runaway-placement rule.
create temp table x_pl_ordered as
select p.*, lag(p.setting) over (partition by p.episode_key
                                 order by p.start_date, p.placement_key) as prev_setting
from x_pl p;
analyze x_pl_ordered;

create temp table x_pl_day as
select distinct on (p.episode_key, d.d)
       p.episode_key, d.d::date as d, p.setting, p.start_date, p.prev_setting
from x_pl_ordered p,
     generate_series(p.start_date::timestamp, (p.end_date - 1)::timestamp, interval '1 day') d(d)
order by p.episode_key, d.d, p.start_date desc, p.placement_key desc;
analyze x_pl_day;

create temp table x_asg_day as
select distinct a.episode_key, d.d::date as d
from x_asg a,
     generate_series(a.start_date::timestamp, (a.end_date - 1)::timestamp, interval '1 day') d(d);
analyze x_asg_day;

create temp table x_day as
select e.episode_key, e.child_key, d.d::date as d, e.county,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, d.d::date)) as age_band,
       e.sex, e.race,
       case when ad.episode_key is null then 'not_assigned' else 'assigned' end as advocate,
       coalesce(pd.setting, 'no_placement') as setting,
       pd.start_date as placement_start, pd.prev_setting
from x_ep e
cross join generate_series(e.removal_date::timestamp, (e.end_date - 1)::timestamp,
                           interval '1 day') d(d)
left join x_pl_day pd on pd.episode_key = e.episode_key and pd.d = d.d::date
left join x_asg_day ad on ad.episode_key = e.episode_key and ad.d = d.d::date;
create index on x_day (episode_key, d);
analyze x_day;

-- Placement moves (SPEC §4): non-temporary placements in (start_date,
-- placement_key) order; each after the first is a move on its start_date,
-- unless it and the one before have the same non-null provider_key. setting:
-- that of the placement moved into (the advocate comparison's stratum).
create temp table x_move as
with perm as (
	select p.episode_key, p.start_date, p.provider_key, p.setting,
	       lag(p.provider_key) over w as prev_provider,
	       row_number() over w as rank_in_episode
	from x_pl p
	where p.setting not in ('trial_home_visit', 'runaway', 'respite', 'hospital', 'detention')
	window w as (partition by p.episode_key order by p.start_date, p.placement_key)
)
select episode_key, start_date as d, setting
from perm
where rank_in_episode > 1 and not coalesce(provider_key = prev_provider, false);
analyze x_move;

-- Missing episodes with the groups of their begin day. The setting the child
-- went missing from: the covering placement, unless it is a `runaway`
-- placement starting that day, then the placement just before it.
create temp table x_missg as
select m.*, dy.child_key, dy.county, dy.age_band, dy.sex, dy.race, dy.advocate,
       case when dy.setting = 'runaway' and dy.placement_start = m.begin_day
            then coalesce(dy.prev_setting, 'no_placement')
            else dy.setting end as setting
from x_miss m
join x_day dy on dy.episode_key = m.episode_key and dy.d = m.begin_day;
analyze x_missg;

-- ---------------------------------------------------------------------------
-- 3. Facts: one row per contribution, already placed in a period and
--    carrying every group it belongs to; cells are sums over facts.
-- ---------------------------------------------------------------------------

create temp table x_fact (
	metric text, period_type text, period text,
	county text, age_band text, sex text, race text, advocate text,
	setting text, los_band text,
	num bigint, den bigint, dur bigint,
	child_key bigint); -- the child the fact rests on (disclosure's `children`)

-- Dated facts are placed in the period of their date, for each period type
-- the metric allows.
create temp table x_dated (
	metric text, d date,
	county text, age_band text, sex text, race text, advocate text, setting text,
	num bigint, den bigint, dur bigint, child_key bigint);

-- Days in care (denominators of the two day-based rates), pre-summed per
-- month: months nest in quarters, years and fiscal years.
create temp table x_day_month as
select date_trunc('month', d::timestamp)::date as d, county, age_band, sex, race, advocate,
       setting, child_key, count(*) as days
from x_day group by 1, 2, 3, 4, 5, 6, 7, 8;
analyze x_day_month;

insert into x_dated
select metric, d, county, age_band, sex, race, advocate, setting, 0, days, null, child_key
from x_day_month,
     (values ('moves_per_1000_days_in_care'), ('runaway_episodes_per_1000_days')) m(metric);

-- moves_per_1000_days_in_care numerator: moves, grouped by their day.
insert into x_dated
select 'moves_per_1000_days_in_care', mv.d, dy.county, dy.age_band, dy.sex, dy.race,
       dy.advocate, null, 1, 0, null, dy.child_key
from x_move mv join x_day dy on dy.episode_key = mv.episode_key and dy.d = mv.d;

-- Missing-episode facts, grouped by the begin day (docs/metrics.md).
insert into x_dated
select 'runaway_episodes_per_1000_days', begin_day, county, age_band, sex, race, advocate,
       setting, 1, 0, null, child_key
from x_missg;

-- Returned within 168 h, over episodes beginning on or before as_of - 7.
insert into x_dated
select 'returned_within_7_days_pct', begin_day, county, age_band, sex, race, advocate, setting,
       case when returned_s is not null and returned_s - missing_s <= 604800 then 1 else 0 end,
       1, null, child_key
from x_missg where begin_day <= :'as_of'::date - 7;

-- 42 U.S.C. 671(a)(35)(B): reported within 24 h after the agency learned.
insert into x_dated
select 'reported_le_24h_pct', begin_day, county, age_band, sex, race, advocate, setting,
       case when le_s between t0_s and t0_s + 86400 then 1 else 0 end, 1, null, child_key
from x_missg;
insert into x_dated
select 'reported_ncmec_24h_pct', begin_day, county, age_band, sex, race, advocate, setting,
       case when ncmec_s between t0_s and t0_s + 86400 then 1 else 0 end, 1, null, child_key
from x_missg;

-- Episodes that ended (returned by as_of): dated on end_day, grouped by begin day.
insert into x_dated
select 'screened_after_return_pct', end_day, county, age_band, sex, race, advocate, setting,
       case when screened_s between returned_s and returned_s + :window_s then 1 else 0 end,
       1, null, child_key
from x_missg where returned_s is not null;
insert into x_dated
select 'screened_positive_pct', end_day, county, age_band, sex, race, advocate, setting,
       case when positive then 1 else 0 end, 1, null, child_key
from x_missg
where returned_s is not null and screened_s between returned_s and returned_s + :window_s;
insert into x_dated
select metric, end_day, county, age_band, sex, race, advocate, setting,
       null, 1, returned_s - missing_s, child_key
from x_missg, (values ('days_missing_median'), ('days_missing_p90')) q(metric)
where returned_s is not null;

-- Discharges: age on discharge_date; setting and advocate of the last day in
-- care (discharge_date - 1); a same-day episode has none: no_placement,
-- not_assigned.
insert into x_dated
select 'runaway_discharges_pct', e.discharge_date, e.county,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, e.discharge_date)), e.sex, e.race,
       coalesce(dy.advocate, 'not_assigned'), coalesce(dy.setting, 'no_placement'),
       case when e.discharge_reason = 'runaway' then 1 else 0 end, 1, null, e.child_key
from x_ep e
left join x_day dy on dy.episode_key = e.episode_key and dy.d = e.discharge_date - 1
where e.discharge_date is not null;

insert into x_fact
select x.metric, p.period_type, p.period, x.county, x.age_band, x.sex, x.race, x.advocate,
       x.setting, null, x.num, x.den, x.dur, x.child_key
from x_dated x
join x_metric m on m.metric = x.metric
cross join lateral pg_temp.periods_of(x.d, :fy_start) p
where p.period_type = any (m.period_types);

-- ---------------------------------------------------------------------------
-- 4. Periods (every period type), measured through as_of: pe2 = min(pe, as_of).
-- ---------------------------------------------------------------------------

create temp table x_period as
with b as (
	select coalesce(min(removal_date), :'as_of'::date) as first_day, :'as_of'::date as as_of
	from x_ep
),
starts as (
	select 'month' as period_type, s::date as ps, (s + interval '1 month')::date - 1 as pe
	from b, generate_series(date_trunc('month', b.first_day::timestamp), b.as_of::timestamp,
	                        interval '1 month') s
	union all
	select 'quarter', s::date, (s + interval '3 months')::date - 1
	from b, generate_series(date_trunc('quarter', b.first_day::timestamp), b.as_of::timestamp,
	                        interval '3 months') s
	union all
	select 'year', s::date, (s + interval '1 year')::date - 1
	from b, generate_series(date_trunc('year', b.first_day::timestamp), b.as_of::timestamp,
	                        interval '1 year') s
	union all
	select 'fiscal_year', s::date, (s + interval '1 year')::date - 1
	from b, generate_series(
		make_date(extract(year from b.first_day)::int
		          - case when extract(month from b.first_day) < :fy_start then 1 else 0 end,
		          :fy_start, 1)::timestamp,
		b.as_of::timestamp, interval '1 year') s
)
select s.period_type, p.period, s.ps, s.pe, least(s.pe, b.as_of) as pe2
from starts s cross join b
cross join lateral pg_temp.periods_of(s.ps, :fy_start) p
where p.period_type = s.period_type;
analyze x_period;

-- ---------------------------------------------------------------------------
-- 5. Entry cohorts (periods year and fiscal_year; age at removal).
-- ---------------------------------------------------------------------------

-- placement_moves_per_1000_days (CFSR round 4): removal in [ps, pe'], under 18
-- at removal, at least 8 days in care in all; observed over
-- [removal, min(end(e), 18th birthday, pe + 1)).
create temp table x_cfsr as
select e.episode_key, e.child_key, p.period_type, p.period, e.county,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, e.removal_date)) as age_band,
       e.sex, e.race,
       least(e.end_date, (e.birth_month + interval '18 years')::date, p.pe + 1) as observed_end
from x_ep e
join x_period p on p.period_type in ('year', 'fiscal_year')
               and e.removal_date between p.ps and p.pe2
where pg_temp.age_years(e.birth_month, e.removal_date) < 18
  and e.end_date - e.removal_date >= 8;
analyze x_cfsr;

insert into x_fact
select 'placement_moves_per_1000_days', c.period_type, c.period, c.county, c.age_band, c.sex,
       c.race, dy.advocate, null, null, 0, count(*), null, c.child_key
from x_cfsr c
join x_day dy on dy.episode_key = c.episode_key and dy.d < c.observed_end
group by 2, 3, 4, 5, 6, 7, 8, c.child_key;
insert into x_fact
select 'placement_moves_per_1000_days', c.period_type, c.period, c.county, c.age_band, c.sex,
       c.race, dy.advocate, null, null, 1, 0, null, c.child_key
from x_cfsr c
join x_move mv on mv.episode_key = c.episode_key and mv.d < c.observed_end
join x_day dy on dy.episode_key = mv.episode_key and dy.d = mv.d;

-- runaway_within_12m_of_entry_pct: removal in [ps, pe'], 12-17 at removal,
-- more than 7 days in care; window [removal, min(discharge, removal + 365));
-- left out until the window has closed (w <= as_of + 1); under issue 17
-- until its full 12 months have elapsed (removal + 365 <= as_of + 1).
create temp table x_entry as
select e.episode_key, e.child_key, p.period_type, p.period, e.county, e.sex, e.race, e.removal_date,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, e.removal_date)) as age_band,
       least(coalesce(e.discharge_date, e.removal_date + 365), e.removal_date + 365) as w
from x_ep e
join x_period p on p.period_type in ('year', 'fiscal_year')
               and e.removal_date between p.ps and p.pe2
where pg_temp.age_years(e.birth_month, e.removal_date) between 12 and 17
  and e.end_date - e.removal_date > 7;
analyze x_entry;

insert into x_fact
select 'runaway_within_12m_of_entry_pct', x.period_type, x.period, x.county, x.age_band, x.sex,
       x.race,
       case when exists (select 1 from x_asg a
                         where a.episode_key = x.episode_key
                           and a.start_date < x.w and a.end_date > x.removal_date)
            then 'assigned' else 'not_assigned' end,
       null, null,
       case when exists (select 1 from x_miss m
                         where m.episode_key = x.episode_key
                           and m.begin_day >= x.removal_date and m.begin_day < x.w)
            then 1 else 0 end,
       1, null, x.child_key
from x_entry x
where case when :'issue17'::boolean then x.removal_date + 365 else x.w end
      <= :'as_of'::date + 1;

-- ---------------------------------------------------------------------------
-- 6. Child-based metrics: one group per child, that of its reference day.
-- ---------------------------------------------------------------------------

-- Episodes with a day in care in [ps, pe']; last_day = their last such day.
-- (A same-day episode has none.)
create temp table x_ep_period as
select p.period_type, p.period, p.ps, p.pe, p.pe2, e.episode_key, e.child_key,
       e.removal_date, e.end_date, least(e.end_date - 1, p.pe2) as last_day
from x_ep e
join x_period p on greatest(e.removal_date, p.ps) < least(e.end_date, p.pe2 + 1);
analyze x_ep_period;

-- Per (period, child served): the reference day (last day in care in the
-- period) and the episode in care on it (the latest one if several), the
-- child's latest episode served, and whether an assignment covered any of
-- its days in care in the period.
create temp table x_ref as
select distinct on (period_type, period, child_key)
       period_type, period, child_key, episode_key as ref_episode, last_day as ref_day
from x_ep_period
order by period_type, period, child_key, last_day desc, removal_date desc, episode_key desc;
analyze x_ref;

create temp table x_latest as
select distinct on (period_type, period, child_key)
       period_type, period, child_key, episode_key as latest_episode,
       least(end_date, pe + 1) - removal_date as los, least(end_date, pe + 1) as stop
from x_ep_period
order by period_type, period, child_key, removal_date desc, episode_key desc;
analyze x_latest;

create temp table x_assigned as
select ep.period_type, ep.period, ep.child_key, bool_or(a.episode_key is not null) as any_assigned
from x_ep_period ep
left join x_asg a on a.episode_key = ep.episode_key
                 and greatest(a.start_date, ep.removal_date, ep.ps)
                     < least(a.end_date, ep.end_date, ep.pe2 + 1)
group by 1, 2, 3;
analyze x_assigned;

create temp table x_served as
select r.period_type, r.period, r.child_key, r.ref_day, dy.county, dy.age_band, dy.sex, dy.race,
       dy.setting, case when s.any_assigned then 'assigned' else 'not_assigned' end as advocate,
       pg_temp.age_years(e.birth_month, r.ref_day) as age,
       l.latest_episode, l.los, l.stop
from x_ref r
join x_latest l using (period_type, period, child_key)
join x_assigned s using (period_type, period, child_key)
join x_ep e on e.episode_key = r.ref_episode
join x_day dy on dy.episode_key = r.ref_episode and dy.d = r.ref_day;
analyze x_served;

-- two_or_fewer_placements_pct: latest episode served, los = stop - removal
-- (under 8 days left out); at most two placement settings = at most one
-- move dated before stop.
insert into x_fact
select 'two_or_fewer_placements_pct', s.period_type, s.period, s.county, s.age_band, s.sex,
       s.race, s.advocate, s.setting,
       case when s.los < 365 then 'lt12m' when s.los < 730 then '12to24m' else '24mplus' end,
       case when count(mv.d) <= 1 then 1 else 0 end, 1, null, s.child_key
from x_served s
left join x_move mv on mv.episode_key = s.latest_episode and mv.d < s.stop
where s.los >= 8
group by s.period_type, s.period, s.child_key, s.county, s.age_band, s.sex, s.race, s.advocate,
         s.setting, s.los;

-- Missing episodes per (period, child) beginning in [ps, pe'].
create temp table x_child_runs as
select s.period_type, s.period, s.child_key, count(m.missing_key) as runs
from x_served s
join x_period p using (period_type, period)
left join x_missg m on m.child_key = s.child_key and m.begin_day between p.ps and p.pe2
group by 1, 2, 3;
analyze x_child_runs;

insert into x_fact
select 'youth_with_runaway_pct', s.period_type, s.period, s.county, s.age_band, s.sex, s.race,
       s.advocate, s.setting, null, case when r.runs >= 1 then 1 else 0 end, 1, null, s.child_key
from x_served s join x_child_runs r using (period_type, period, child_key)
where s.age >= 12;

insert into x_fact
select 'repeat_runaway_pct', s.period_type, s.period, s.county, s.age_band, s.sex, s.race,
       s.advocate, s.setting, null, case when r.runs >= 2 then 1 else 0 end, 1, null, s.child_key
from x_served s join x_child_runs r using (period_type, period, child_key)
where r.runs >= 1;

-- still_missing_count: r = pe'; children with a missing episode begun on or
-- before r and not returned by r. Reference day: last day in care on or
-- before r; advocate: any day in care in the period, else the reference day.
create temp table x_still as
with missing_children as (
	select distinct p.period_type, p.period, p.ps, p.pe2, m.child_key
	from x_period p
	join x_missg m on m.begin_day <= p.pe2 and (m.end_day is null or m.end_day > p.pe2)
),
ref as (
	select distinct on (mc.period_type, mc.period, mc.child_key)
	       mc.period_type, mc.period, mc.child_key, e.episode_key as ref_episode,
	       least(e.end_date - 1, mc.pe2) as ref_day
	from missing_children mc
	join x_ep e on e.child_key = mc.child_key and e.removal_date <= mc.pe2
	           and e.end_date > e.removal_date -- has a day in care
	order by mc.period_type, mc.period, mc.child_key, least(e.end_date - 1, mc.pe2) desc,
	         e.removal_date desc, e.episode_key desc
)
select r.period_type, r.period, r.child_key, dy.county, dy.age_band, dy.sex, dy.race,
       dy.setting, coalesce(s.advocate, dy.advocate) as advocate
from ref r
join x_day dy on dy.episode_key = r.ref_episode and dy.d = r.ref_day
left join x_served s on s.period_type = r.period_type and s.period = r.period
                    and s.child_key = r.child_key;
analyze x_still;

insert into x_fact
select 'still_missing_count', period_type, period, county, age_band, sex, race, advocate,
       setting, null, 1, null, null, child_key
from x_still;

-- The eight metrics of issue 17 add their facts here.
\if :issue17
\set issue17_part on
\ir metrics17.sql
\endif

-- ---------------------------------------------------------------------------
-- 7. Cells: every allowed breakdown of every fact.
-- ---------------------------------------------------------------------------

analyze x_fact;

-- children: the distinct children the cell rests on (docs/metrics.md: those
-- that contributed a day, an event, a cohort episode or a counted child);
-- disclosure control's input, so it is cross-checked too.
create table crosscheck.:"cells_out" (
	metric text, period_type text, dim text, period text, grp text,
	numerator bigint, denominator bigint, quantile_2s bigint, children bigint,
	expected double precision); -- issue 14, section 8 below

-- One grouping set per breakdown; a fact's null group (e.g. los_band of a
-- metric without it) is never a cell.
create temp table x_cells as
select metric, period_type, period,
       case when grouping(county) = 0 then 'county'
            when grouping(age_band) = 0 then 'age_band'
            when grouping(sex) = 0 then 'sex'
            when grouping(race) = 0 then 'race_ethnicity'
            when grouping(advocate) = 0 then 'advocate'
            when grouping(setting) = 0 then 'setting'
            when grouping(los_band) = 0 then 'los_band'
            else 'total' end as dim,
       coalesce(county, age_band, sex, race, advocate, setting, los_band, '') as grp,
       sum(num)::bigint as num, sum(den)::bigint as den, -- sum(bigint) is numeric
       array_agg(dur) filter (where dur is not null) as durs,
       count(distinct child_key) as children
from x_fact
group by metric, period_type, period,
         grouping sets ((), (county), (age_band), (sex), (race), (advocate), (setting), (los_band));

insert into crosscheck.:"cells_out"
select c.metric, c.period_type, c.dim, c.period, c.grp,
       case when m.kind = 'quantile' then null else c.num end,
       case when m.kind = 'count' then null else c.den end,
       -- Median: mean of the two middle values for an even count (so twice
       -- it is their sum); p90: the ceil(0.9 n)-th smallest, index (9n + 9) / 10.
       case when c.metric in ('days_missing_median', 'days_to_assignment_median')
            then c.durs[(c.den + 1) / 2] + c.durs[c.den / 2 + 1]
            when c.metric = 'days_missing_p90'
            then 2 * c.durs[(9 * c.den + 9) / 10] end,
       c.children
from (select x.metric, x.period_type, x.period, x.dim, x.grp, x.num, x.den, x.children,
             (select array_agg(v order by v) from unnest(x.durs) v) as durs
      from x_cells x) c
join x_metric m on m.metric = c.metric
where c.dim = any (m.dims) and c.period_type = any (m.period_types)
  and (c.grp <> '' or c.dim = 'total')
  and (coalesce(c.num, 0) <> 0 or coalesce(c.den, 0) <> 0);

-- ---------------------------------------------------------------------------
-- 8. Issue 14: the advocate comparison. For runaway_episodes_per_1000_days
--    and moves_per_1000_days_in_care by advocate, quarters and longer:
--    expected_g = sum over strata s of D_{g,s} * O_s / D_s, strata = age
--    band x setting of each day in care (as by=age_band and by=setting);
--    a missing episode in the stratum of its begin day with the setting it
--    went missing from, a move in that of its day with the setting of the
--    placement moved into; O_s, D_s over all children; strata with
--    D_s = 0 add nothing. Written into the cells' `expected` column.
-- ---------------------------------------------------------------------------

create temp table x_strata as
select m.metric, p.period_type, p.period, d.advocate, d.age_band, d.setting,
       sum(d.days) as days
from x_day_month d
cross join lateral pg_temp.periods_of(d.d, :fy_start) p
cross join (values ('runaway_episodes_per_1000_days'), ('moves_per_1000_days_in_care')) m(metric)
where p.period_type <> 'month'
group by 1, 2, 3, 4, 5, 6;

create temp table x_strata_events as
select 'runaway_episodes_per_1000_days' as metric, p.period_type, p.period, m.age_band,
       m.setting, count(*) as events
from x_missg m
cross join lateral pg_temp.periods_of(m.begin_day, :fy_start) p
where p.period_type <> 'month'
group by 1, 2, 3, 4, 5
union all
select 'moves_per_1000_days_in_care', p.period_type, p.period, dy.age_band, mv.setting, count(*)
from x_move mv
join x_day dy on dy.episode_key = mv.episode_key and dy.d = mv.d
cross join lateral pg_temp.periods_of(mv.d, :fy_start) p
where p.period_type <> 'month'
group by 1, 2, 3, 4, 5;

-- Per stratum over all children: days, and events (0 when none).
create temp table x_stratum as
select s.metric, s.period_type, s.period, s.age_band, s.setting, sum(s.days) as days,
       coalesce(max(e.events), 0) as events
from x_strata s
left join x_strata_events e using (metric, period_type, period, age_band, setting)
group by 1, 2, 3, 4, 5;

update crosscheck.:"cells_out" c
set expected = x.expected
from (select s.metric, s.period_type, s.period, s.advocate,
             sum(s.days::numeric * r.events / r.days)::double precision as expected
      from x_strata s
      join x_stratum r using (metric, period_type, period, age_band, setting)
      group by 1, 2, 3, 4) x
where c.metric = x.metric and c.period_type = x.period_type and c.dim = 'advocate'
  and c.period = x.period and c.grp = x.advocate;
