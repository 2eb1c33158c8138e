-- tests/crosscheck/metrics17.sql — the independent SQL of issue 17, read
-- from docs/metrics.md ("Same-day episodes", "Permanency, re-entry and the
-- program's reach", "Trafficking identification"), written without looking
-- at any C code.
--
-- Run by itself, it is the entry point: it runs metrics.sql with
-- issue17=on (same-day episodes kept, the 12-month maturity of
-- runaway_within_12m_of_entry_pct) and writes every metric, the sixteen of
-- SPEC §4 and the eight of issue 17, to crosscheck.sql_cells17:
--
--   psql -v as_of=2025-06-30 -v fy_start=10 -v window_s=259200 -v schema=deid \
--        -f tests/crosscheck/metrics17.sql
--
-- metrics.sql includes it again (issue17_part set) just before it turns
-- facts into cells; that part adds the new metrics' facts to x_fact and
-- their rows to x_metric, on metrics.sql's cleaned tables (x_ep, x_asg,
-- x_missg, x_day, x_period, x_served). The trafficking metrics exist only
-- when :schema.trafficking_identifications does.
--
-- Cell shape as crosscheck.sql_cells. days_to_assignment_median:
-- numerator null, denominator = episodes, quantile_2s = twice the median in
-- seconds (days x 86400), like days_missing_median.
--
-- RAW CELLS OF SYNTHETIC TEST DATA ONLY: never point this at real data.

\if :{?issue17_part}

-- ---------------------------------------------------------------------------
-- The new metrics, their period types and breakdowns (no setting, no los_band).
-- ---------------------------------------------------------------------------

select to_regclass(format('%I.trafficking_identifications', :'schema')) is not null
       as has_identifications \gset

insert into x_metric
select m.metric, m.kind,
       case when m.all_periods then array['month', 'quarter', 'year', 'fiscal_year']
            else array['year', 'fiscal_year'] end,
       array['total', 'county', 'age_band', 'sex', 'race_ethnicity', 'advocate']
from (values
	('permanency_12m_entries_pct', 'percent', false, false),
	('reentry_12m_pct', 'percent', false, false),
	('permanency_12m_after_assignment_pct', 'percent', false, false),
	('days_to_assignment_median', 'quantile', true, false),
	('advocate_reach_pct', 'percent', true, false),
	('trafficking_identified_per_1000_served', 'rate', false, true),
	('identified_after_missing_pct', 'percent', true, true),
	('trafficking_reported_le_24h_pct', 'percent', true, true)
) as m(metric, kind, all_periods, trafficking)
where not m.trafficking or :'has_identifications'::boolean;

-- Dated facts of the new metrics; placed in periods like x_dated, but only
-- periods of the tables (an identification may be dated before the first).
create temp table x_dated17 (like x_dated);

-- Discharged to permanency within 12 months of day s (docs/metrics.md).
create or replace function pg_temp.permanent_within_12m(reason text, discharge date, s date)
returns boolean language sql immutable as $$
	select coalesce(reason in ('reunification', 'relative', 'guardianship', 'adoption')
	                and discharge < s + 365, false)
$$;

-- ---------------------------------------------------------------------------
-- Entry cohort: per (period, child) the first entry among the episodes that
-- pass the exclusions (under 18 at removal, at least 8 days in care).
-- ---------------------------------------------------------------------------

create temp table x_first_entry as
select distinct on (p.period_type, p.period, e.child_key)
       p.period_type, p.period, e.episode_key, e.child_key, e.county, e.sex, e.race,
       e.removal_date, e.discharge_date, e.discharge_reason,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, e.removal_date)) as age_band,
       (e.birth_month + interval '18 years')::date as birthday_18,
       -- advocate: an assignment covered a day in care of the first 12 months
       case when exists (select 1 from x_asg a
                         where a.episode_key = e.episode_key
                           and a.start_date < least(e.end_date, e.removal_date + 365)
                           and a.end_date > e.removal_date)
            then 'assigned' else 'not_assigned' end as advocate
from x_ep e
join x_period p on p.period_type in ('year', 'fiscal_year')
               and e.removal_date between p.ps and p.pe2
where pg_temp.age_years(e.birth_month, e.removal_date) < 18
  and e.end_date - e.removal_date >= 8
order by p.period_type, p.period, e.child_key, e.removal_date, e.episode_key;
analyze x_first_entry;

-- permanency_12m_entries_pct: mature (removal + 365 <= as_of + 1); n =
-- permanency before removal + 365 and before the 18th birthday.
insert into x_fact
select 'permanency_12m_entries_pct', period_type, period, county, age_band, sex, race,
       advocate, null, null,
       case when pg_temp.permanent_within_12m(discharge_reason, discharge_date, removal_date)
                 and discharge_date < birthday_18
            then 1 else 0 end,
       1, null, child_key
from x_first_entry
where removal_date + 365 <= :'as_of'::date + 1;

-- reentry_12m_pct: exits home within 12 months whose own 12 months have
-- elapsed; n = another episode of the child removed in [discharge, discharge + 365).
insert into x_fact
select 'reentry_12m_pct', x.period_type, x.period, x.county, x.age_band, x.sex, x.race,
       x.advocate, null, null,
       case when exists (select 1 from x_ep r
                         where r.child_key = x.child_key and r.episode_key <> x.episode_key
                           and r.removal_date >= x.discharge_date
                           and r.removal_date < x.discharge_date + 365)
            then 1 else 0 end,
       1, null, x.child_key
from x_first_entry x
where x.discharge_reason in ('reunification', 'relative', 'guardianship')
  and x.discharge_date < x.removal_date + 365
  and x.discharge_date + 365 <= :'as_of'::date + 1;

-- ---------------------------------------------------------------------------
-- Assignment cohort: episodes by the start s of their earliest-starting kept
-- assignment; age on s; every episode `assigned`.
-- ---------------------------------------------------------------------------

create temp table x_first_asg as
select e.episode_key, e.child_key, e.county, e.sex, e.race, e.removal_date,
       e.discharge_date, e.discharge_reason, f.s,
       pg_temp.age_band(pg_temp.age_years(e.birth_month, f.s)) as age_band
from (select episode_key, min(start_date) as s from x_asg group by episode_key) f
join x_ep e using (episode_key);
analyze x_first_asg;

insert into x_dated17
select 'days_to_assignment_median', s, county, age_band, sex, race, 'assigned', null,
       null, 1, (s - removal_date)::bigint * 86400, child_key
from x_first_asg;

insert into x_dated17
select 'permanency_12m_after_assignment_pct', s, county, age_band, sex, race, 'assigned', null,
       case when pg_temp.permanent_within_12m(discharge_reason, discharge_date, s)
            then 1 else 0 end,
       1, null, child_key
from x_first_asg
where s + 365 <= :'as_of'::date + 1;

-- ---------------------------------------------------------------------------
-- advocate_reach_pct: children in care on r = pe'; reached when an
-- assignment of an episode in care on r covers r. Groups: x_served (whose
-- reference day is r for a child in care on r).
-- ---------------------------------------------------------------------------

insert into x_fact
select 'advocate_reach_pct', s.period_type, s.period, s.county, s.age_band, s.sex, s.race,
       s.advocate, null, null, case when c.reached then 1 else 0 end, 1, null, s.child_key
from (select p.period_type, p.period, e.child_key,
             bool_or(exists (select 1 from x_asg a
                             where a.episode_key = e.episode_key
                               and a.start_date <= p.pe2 and a.end_date > p.pe2)) as reached
      from x_period p
      join x_ep e on e.removal_date <= p.pe2 and e.end_date > p.pe2
      group by 1, 2, 3) c
join x_served s using (period_type, period, child_key);

-- ---------------------------------------------------------------------------
-- Trafficking identifications (optional table).
-- ---------------------------------------------------------------------------

\if :has_identifications

-- Cleaning, first match wins: null required -> duplicate key (physical
-- order; the first row of a key makes it seen) -> after as_of (ignored) ->
-- before earliest_date -> dangling or dropped episode -> while_in_care but not on a day in care.
-- reported_le_at after as_of is null. Kept rows carry their day's groups.
create temp table x_ident as
with kept as (
	select t.*, row_number() over (partition by identification_key order by ctid) as copy_no
	from :"schema".trafficking_identifications t
	where identification_key is not null
),
clean as (
	select t.episode_key, t.identified_at, t.identified_at::date as d,
	       case when t.reported_le_at::date <= :'as_of'::date then t.reported_le_at end
		       as reported_le_at,
	       e.child_key, e.county, e.sex, e.race, e.birth_month
	from kept t
	join x_ep e on e.episode_key = t.episode_key
	where t.copy_no = 1
	  and t.identified_at is not null and t.while_in_care is not null
	  and t.identified_at::date <= :'as_of'::date
	  and t.identified_at::date >= :'earliest'::date
	  and (not t.while_in_care
	       or (t.identified_at::date >= e.removal_date and t.identified_at::date < e.end_date))
)
select c.child_key, c.d,
       floor(extract(epoch from c.identified_at))::bigint as identified_s,
       floor(extract(epoch from c.reported_le_at))::bigint as le_s,
       -- a day in care of its episode: that day's groups; else the episode's
       -- county, the age on d, not_assigned (advocates count on days in care)
       coalesce(dy.county, c.county) as county,
       coalesce(dy.age_band, pg_temp.age_band(pg_temp.age_years(c.birth_month, c.d)))
	       as age_band,
       c.sex, c.race, coalesce(dy.advocate, 'not_assigned') as advocate
from clean c
left join x_day dy on dy.episode_key = c.episode_key and dy.d = c.d;
analyze x_ident;

-- Numerator: identifications dated in the period; denominator: children
-- served (x_served, one group per child).
insert into x_dated17
select 'trafficking_identified_per_1000_served', d, county, age_band, sex, race, advocate, null,
       1, 0, null, child_key
from x_ident;
insert into x_fact
select 'trafficking_identified_per_1000_served', s.period_type, s.period, s.county,
       s.age_band, s.sex, s.race, s.advocate, null, null, 0, 1, null, s.child_key
from x_served s
where s.period_type in ('year', 'fiscal_year');

-- 42 U.S.C. 671(a)(35)(A): reported within 24 h, not before the identification.
insert into x_dated17
select 'trafficking_reported_le_24h_pct', d, county, age_band, sex, race, advocate, null,
       case when le_s between identified_s and identified_s + 86400 then 1 else 0 end,
       1, null, child_key
from x_ident;

-- Missing episodes ended on or before as_of - 30 (the window has elapsed),
-- dated on end_day, grouped by begin day; n = the child identified in
-- [returned_at, returned_at + 30 x 24 h].
insert into x_dated17
select 'identified_after_missing_pct', m.end_day, m.county, m.age_band, m.sex, m.race,
       m.advocate, null,
       case when exists (select 1 from x_ident i
                         where i.child_key = m.child_key
                           and i.identified_s between m.returned_s and m.returned_s + 2592000)
            then 1 else 0 end,
       1, null, m.child_key
from x_missg m
where m.returned_s is not null and m.end_day <= :'as_of'::date - 30;

\endif

insert into x_fact
select x.metric, p.period_type, p.period, x.county, x.age_band, x.sex, x.race, x.advocate,
       null, null, x.num, x.den, x.dur, x.child_key
from x_dated17 x
join x_metric m on m.metric = x.metric
cross join lateral pg_temp.periods_of(x.d, :fy_start) p
join x_period xp on xp.period_type = p.period_type and xp.period = p.period
where p.period_type = any (m.period_types);

\else

-- Entry point: the whole cross-check under the issue-17 rules.
\set issue17 on
\set cells_out sql_cells17
\ir metrics.sql

\endif
