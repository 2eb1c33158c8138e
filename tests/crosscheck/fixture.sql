-- tests/crosscheck/fixture.sql — a handful of hand-made rows whose cells are
-- worked out by hand below (crosscheck.expected), so that the SQL
-- implementation (metrics.sql) and the C engine (casa-dump) are each checked
-- against arithmetic, not only against each other. Run with as_of =
-- 2025-06-30, fy_start = 10, window 259200 s, TimeZone UTC
-- (tests/integration/test_crosscheck_fixture.sh).
--
-- The tables have no constraints so that bad rows (duplicates, dangling keys,
-- unknown codes) can be loaded; each bad row says which rule drops it.

\set ON_ERROR_STOP 1
set client_min_messages = warning;
drop schema if exists deid cascade;
create schema deid;
create table deid.children (child_key bigint, birth_month date, sex text, race_ethnicity text);
create table deid.episodes (episode_key bigint, child_key bigint, county text, removal_date date,
	discharge_date date, discharge_reason text);
create table deid.placements (placement_key bigint, episode_key bigint, setting text,
	provider_key bigint, start_date date, end_date date);
create table deid.missing_episodes (missing_key bigint, episode_key bigint,
	went_missing_at timestamptz, agency_informed_at timestamptz, returned_at timestamptz,
	reported_le_at timestamptz, reported_ncmec_at timestamptz, screened_at timestamptz,
	screen_result text);
create table deid.advocate_assignments (assignment_key bigint, episode_key bigint,
	start_date date, end_date date);
create table deid.extract_batches (batch_id bigint, loaded_at timestamptz);
insert into deid.extract_batches values (1, '2025-07-01 00:00+00');

-- C1: 13 at 2024-01 (2010-03 -> 2024-01 = 13 y 10 m), 14 from 2024-03-01.
-- C2: 18th birthday 2025-02-01. C3: birth_month not on the 1st -> 2013-06-01,
-- so 12 on 2025-06-25 (11 if it were not truncated); sex 'x' -> unknown,
-- race null -> unknown. The second C2 row is a duplicate key (dropped: C2
-- stays male).
insert into deid.children values
	(1, '2010-03-01', 'female', 'white'),
	(2, '2007-02-01', 'male', 'black'),
	(3, '2013-06-28', 'x', null),
	(2, '2007-02-01', 'female', 'asian'),
	(4, null, 'female', 'white'),                 -- drop_null_required
	-- C5: its first row falls to the null rule, which still makes key 5
	-- seen: the clean second row is a duplicate, so C5 (and E80) are gone.
	(5, null, 'male', 'white'),
	(5, '2012-01-01', 'male', 'white');

insert into deid.episodes values
	-- E10 (C1): days 2024-01-10 .. 2024-06-30 = 22+29+31+30+31+30 = 173
	(10, 1, 'Adams', '2024-01-10', '2024-07-01', 'runaway'),
	-- E20 (C2): open; 2024: Nov+Dec = 61 days; 2025: 31+28+31+30+31+30 = 181
	(20, 2, 'Baker', '2024-11-01', null, null),
	-- E30 (C3): 2025-06-25, 26, 27 = 3 days
	(30, 3, 'Adams', '2025-06-25', '2025-06-28', 'reunification'),
	(40, 1, 'Adams', '2024-08-01', '2024-07-15', 'other'),   -- ends before start
	(50, 99, 'Adams', '2024-02-01', null, null),              -- dangling child
	(60, 4, 'Adams', '2024-02-01', null, null),               -- child dropped
	(70, 2, 'Baker', '2025-07-02', null, null),               -- after as_of
	(80, 5, 'Baker', '2023-05-01', '2023-06-01', 'other');    -- child dropped

insert into deid.placements values
	-- E10: P103 returns to provider 500 after a runaway placement: not a move;
	-- P104 (another provider) is E10's only move, on 2024-05-01.
	(101, 10, 'foster_home', 500, '2024-01-10', '2024-03-01'),
	(102, 10, 'runaway', null, '2024-03-01', '2024-03-05'),
	(103, 10, 'foster_home', 500, '2024-03-05', '2024-05-01'),
	(104, 10, 'group_home', 600, '2024-05-01', null),          -- cut at 2024-07-01
	(105, 10, 'spaceship', 700, '2024-02-01', null),           -- unknown setting
	(106, 10, 'foster_home', 800, '2024-01-01', null),         -- starts before removal
	(107, 10, 'foster_home', 900, '2024-06-01', '2024-05-01'), -- ends before start
	-- E20: moves 2025-01-15 and 2025-03-01 (null providers never match);
	-- P204 (hospital, temporary) overlaps P203 and wins 2025-04-10 and 04-11.
	(201, 20, 'relative_home', 700, '2024-11-01', '2025-01-15'),
	(202, 20, 'foster_home', null, '2025-01-15', '2025-03-01'),
	(203, 20, 'foster_home', null, '2025-03-01', null),
	(204, 20, 'hospital', null, '2025-04-10', '2025-04-12'),
	(205, 20, 'foster_home', 1, '2025-07-05', null),           -- after as_of
	(301, 30, 'foster_home', 300, '2025-06-25', '2025-07-10'), -- cut at 2025-06-28
	(401, 40, 'foster_home', 400, '2024-08-01', null);         -- episode dropped

insert into deid.missing_episodes values
	-- M1 (E10): begins 2024-03-01, on the runaway placement starting that
	-- day -> setting of the placement before it: foster_home. Duration
	-- 3 d 12 h = 302400 s. LE exactly 24 h after t0 (timely, inclusive);
	-- NCMEC 24 h + 1 s (late). Screened exactly 72 h after the return
	-- (inside the window), positive.
	(1, 10, '2024-03-01 08:00+00', null, '2024-03-04 20:00+00', '2024-03-02 08:00+00',
	 '2024-03-02 08:00:01+00', '2024-03-07 20:00+00', 'positive'),
	-- M2 (E10): never returns (E10 is discharged 2024-07-01 as runaway).
	-- Agency informed 2024-06-21 10:00: LE at 09:59 is before the clock (not
	-- timely), NCMEC exactly 24 h after it (timely). Setting group_home.
	(2, 10, '2024-06-20 22:00+00', '2024-06-21 10:00+00', null, '2024-06-21 09:59+00',
	 '2024-06-22 10:00+00', null, null),
	-- M3 (E20): on the hospital day (hospital, not runaway: setting
	-- hospital); 86400 s; screened before the return (not a screening).
	(3, 20, '2025-04-10 12:00+00', null, '2025-04-11 12:00+00', null, null,
	 '2025-04-11 11:00+00', 'negative'),
	-- M4 (E20): begins 2025-06-28 (> as_of - 7); returns after as_of = not returned.
	(4, 20, '2025-06-28 00:00+00', null, '2025-07-02 00:00+00', null, null, null, null),
	-- M6 (E20): 3 d 6 h = 259200 + 21600 = 280800 s; LE exactly at t0 (timely). foster_home.
	(6, 20, '2025-05-10 00:00+00', null, '2025-05-13 06:00+00', '2025-05-10 00:00+00', null,
	 null, null),
	-- M9 (E20): the agency's clock (2025-07-01) is after as_of, so it is
	-- null (docs/metrics.md: timestamps after as_of are null) and t0 =
	-- went_missing_at 08:00: the LE report at 10:00 is timely.
	(9, 20, '2025-06-30 08:00+00', '2025-07-01 09:00+00', null, '2025-06-30 10:00+00', null,
	 null, null),
	(5, 20, '2025-05-01 00:00+00', null, '2025-04-30 00:00+00', null, null, null, null), -- returns before
	(7, 20, '2024-10-01 00:00+00', null, null, null, null, null, null), -- before removal
	(8, 40, '2024-08-02 00:00+00', null, null, null, null, null, null); -- episode dropped

insert into deid.advocate_assignments values
	(1, 10, '2024-02-01', '2024-03-01'),   -- 29 days of February 2024
	(2, 20, '2025-03-01', null),
	(3, 20, '2025-03-01', '2025-02-01');   -- ends before start

-- Expected cells, by hand. A row with expect_absent = true says the cell
-- must not exist (zero numerator and denominator).
drop schema if exists crosscheck cascade;
create schema crosscheck;
create table crosscheck.expected (metric text, period_type text, dim text, period text,
	grp text, numerator bigint, denominator bigint, quantile_2s bigint,
	expect_absent boolean default false,
	children bigint); -- distinct children the cell rests on; null = not checked
insert into crosscheck.expected (metric, period_type, dim, period, grp, numerator, denominator,
	quantile_2s) values
	-- moves_per_1000_days_in_care. 2024: days 173 (E10) + 61 (E20) = 234;
	-- moves: E10 2024-05-01 = 1 (P103 same provider as P101: no move).
	('moves_per_1000_days_in_care', 'year', 'total', '2024', '', 1, 234, null),
	-- 2025: days 181 (E20) + 3 (E30) = 184; moves 2025-01-15, 2025-03-01.
	('moves_per_1000_days_in_care', 'year', 'total', '2025', '', 2, 184, null),
	-- 2025 by age: C2 15-17 in January (31 d, move 01-15), 18+ from 02-01
	-- (28+31+30+31+30 = 150 d, move 03-01); C3 12-14 (3 d, truncated birth month).
	('moves_per_1000_days_in_care', 'year', 'age_band', '2025', '15-17', 1, 31, null),
	('moves_per_1000_days_in_care', 'year', 'age_band', '2025', '18+', 1, 150, null),
	('moves_per_1000_days_in_care', 'year', 'age_band', '2025', '12-14', 0, 3, null),
	-- by sex 2024: C2 stays male (duplicate row dropped): 61 days.
	('moves_per_1000_days_in_care', 'year', 'sex', '2024', 'male', 0, 61, null),
	('moves_per_1000_days_in_care', 'year', 'sex', '2024', 'female', 1, 173, null),
	('moves_per_1000_days_in_care', 'month', 'total', '2024-05', '', 1, 31, null),
	-- advocate 2025: A2 from 2025-03-01: 31+30+31+30 = 122 days, move 03-01
	-- assigned; not assigned: Jan+Feb 59 + E30 3 = 62 days, move 01-15.
	('moves_per_1000_days_in_care', 'year', 'advocate', '2025', 'assigned', 1, 122, null),
	('moves_per_1000_days_in_care', 'year', 'advocate', '2025', 'not_assigned', 1, 62, null),

	-- placement_moves_per_1000_days (CFSR). FY2024: E10, observed
	-- [2024-01-10, 2024-07-01) = 173 d, 1 move; A1 covers 29 of those days.
	('placement_moves_per_1000_days', 'fiscal_year', 'total', 'FY2024', '', 1, 173, null),
	('placement_moves_per_1000_days', 'fiscal_year', 'advocate', 'FY2024', 'assigned', 0, 29, null),
	('placement_moves_per_1000_days', 'fiscal_year', 'advocate', 'FY2024', 'not_assigned', 1, 144, null),
	-- FY2025: E20, 17 at removal, observed to the 18th birthday 2025-02-01:
	-- 30+31+31 = 92 d, move 2025-01-15; E30 has 3 < 8 days: out.
	('placement_moves_per_1000_days', 'fiscal_year', 'total', 'FY2025', '', 1, 92, null),
	('placement_moves_per_1000_days', 'fiscal_year', 'age_band', 'FY2025', '15-17', 1, 92, null),
	-- year 2024: E10 173 d + E20 [2024-11-01, 2025-01-01) 61 d = 234; 1 move.
	('placement_moves_per_1000_days', 'year', 'total', '2024', '', 1, 234, null),
	('placement_moves_per_1000_days', 'year', 'total', '2025', '', 0, 0, null),

	-- runaway_episodes_per_1000_days 2024 by setting: foster_home days
	-- P101 22+29 = 51, P103 27+30 = 57 -> 108, M1; runaway 03-01..03-04 = 4;
	-- group_home 31+30 = 61, M2; relative_home (E20) 61.
	('runaway_episodes_per_1000_days', 'year', 'setting', '2024', 'foster_home', 1, 108, null),
	('runaway_episodes_per_1000_days', 'year', 'setting', '2024', 'runaway', 0, 4, null),
	('runaway_episodes_per_1000_days', 'year', 'setting', '2024', 'group_home', 1, 61, null),
	('runaway_episodes_per_1000_days', 'year', 'setting', '2024', 'relative_home', 0, 61, null),
	('runaway_episodes_per_1000_days', 'year', 'total', '2024', '', 2, 234, null),
	-- 2025: hospital 2 days with M3; M4, M6, M9 in foster_home.
	('runaway_episodes_per_1000_days', 'year', 'setting', '2025', 'hospital', 1, 2, null),
	('runaway_episodes_per_1000_days', 'year', 'total', '2025', '', 4, 184, null),

	-- days_missing: 2024 M1 302400 s -> 2 x = 604800. 2025: {86400, 280800}:
	-- median 2 x = 86400 + 280800 = 367200; p90 index (9*2+9)/10 = 2 ->
	-- 280800, 2 x = 561600.
	('days_missing_median', 'year', 'total', '2024', '', null, 1, 604800),
	('days_missing_p90', 'year', 'total', '2024', '', null, 1, 604800),
	('days_missing_median', 'year', 'total', '2025', '', null, 2, 367200),
	('days_missing_p90', 'year', 'total', '2025', '', null, 2, 561600),

	-- returned_within_7_days: 2024 M1 (yes), M2 (no). 2025 (begin <=
	-- 2025-06-23): M3, M6 (yes); M4 left out.
	('returned_within_7_days_pct', 'year', 'total', '2024', '', 1, 2, null),
	('returned_within_7_days_pct', 'year', 'total', '2025', '', 2, 2, null),

	-- reports: 2024 LE M1 yes, M2 no; NCMEC M1 no, M2 yes. 2025 (M3, M4,
	-- M6, M9): LE M6 and M9; 2025-06 (M4, M9): LE M9.
	('reported_le_24h_pct', 'year', 'total', '2024', '', 1, 2, null),
	('reported_ncmec_24h_pct', 'year', 'total', '2024', '', 1, 2, null),
	('reported_le_24h_pct', 'year', 'total', '2025', '', 2, 4, null),
	('reported_ncmec_24h_pct', 'year', 'total', '2025', '', 0, 4, null),
	('reported_le_24h_pct', 'month', 'total', '2025-06', '', 1, 2, null),

	-- screening: 2024 M1 at +72 h (yes, positive); 2025 M3 (before return)
	-- and M6 (none): 0 of 2; no screened episode for screened_positive 2025.
	('screened_after_return_pct', 'year', 'total', '2024', '', 1, 1, null),
	('screened_positive_pct', 'year', 'total', '2024', '', 1, 1, null),
	('screened_after_return_pct', 'year', 'total', '2025', '', 0, 2, null),

	-- still_missing_count: 2024-06 (r 06-30): C1 (M2). 2024-07: C1 still
	-- missing, discharged; reference day 2024-06-30: Adams, 14 -> 12-14,
	-- group_home, not assigned. 2025-03: C1. 2025: C1 and C2 (M4).
	('still_missing_count', 'month', 'total', '2024-06', '', 1, null, null),
	('still_missing_count', 'month', 'total', '2024-07', '', 1, null, null),
	('still_missing_count', 'month', 'setting', '2024-07', 'group_home', 1, null, null),
	('still_missing_count', 'month', 'age_band', '2024-07', '12-14', 1, null, null),
	('still_missing_count', 'month', 'advocate', '2024-07', 'not_assigned', 1, null, null),
	('still_missing_count', 'month', 'total', '2025-03', '', 1, null, null),
	('still_missing_count', 'year', 'total', '2025', '', 2, null, null),

	-- runaway_discharges: 2024 E10 (runaway; age 14 on 2024-07-01; setting
	-- of 2024-06-30 group_home); 2025 E30 (reunification; 12 on 06-28; sex
	-- 'x' -> unknown).
	('runaway_discharges_pct', 'year', 'total', '2024', '', 1, 1, null),
	('runaway_discharges_pct', 'year', 'setting', '2024', 'group_home', 1, 1, null),
	('runaway_discharges_pct', 'year', 'age_band', '2024', '12-14', 1, 1, null),
	('runaway_discharges_pct', 'year', 'total', '2025', '', 0, 1, null),
	('runaway_discharges_pct', 'year', 'sex', '2025', 'unknown', 0, 1, null),
	('runaway_discharges_pct', 'year', 'race_ethnicity', '2025', 'unknown', 0, 1, null),

	-- youth_with_runaway 2024: C1 (14 on 06-30, M1 M2) and C2 (17 on
	-- 12-31, none): 1 of 2. 2025: C2 (18 on 06-30, M3 M4 M6) and C3 (12 on
	-- 06-27, none): 1 of 2.
	('youth_with_runaway_pct', 'year', 'total', '2024', '', 1, 2, null),
	('youth_with_runaway_pct', 'year', 'age_band', '2024', '12-14', 1, 1, null),
	('youth_with_runaway_pct', 'year', 'age_band', '2024', '15-17', 0, 1, null),
	('youth_with_runaway_pct', 'year', 'total', '2025', '', 1, 2, null),
	('youth_with_runaway_pct', 'year', 'age_band', '2025', '18+', 1, 1, null),
	-- repeat: 2024 C1 has 2; 2025 C2 has 3.
	('repeat_runaway_pct', 'year', 'total', '2024', '', 1, 1, null),
	('repeat_runaway_pct', 'year', 'total', '2025', '', 1, 1, null),

	-- two_or_fewer 2024: C1/E10 stop 2024-07-01, 173 d (lt12m), 1 move ->
	-- 2 settings; C2/E20 stop 2025-01-01, 61 d, 0 moves: 2 of 2. 2025: C2
	-- 242 d, 2 moves -> 3 settings (no); C3 3 d (< 8, out): 0 of 1.
	('two_or_fewer_placements_pct', 'year', 'total', '2024', '', 2, 2, null),
	('two_or_fewer_placements_pct', 'year', 'los_band', '2024', 'lt12m', 2, 2, null),
	('two_or_fewer_placements_pct', 'year', 'total', '2025', '', 0, 1, null),

	-- runaway_within_12m: E10 (13 at removal), window [2024-01-10,
	-- 2024-07-01) closed, M1 inside: 1 of 1, assigned (A1). E20's window
	-- ends 2025-11-01 > as_of + 1: left out; E30: 3 days, out.
	('runaway_within_12m_of_entry_pct', 'fiscal_year', 'total', 'FY2024', '', 1, 1, null),
	('runaway_within_12m_of_entry_pct', 'fiscal_year', 'advocate', 'FY2024', 'assigned', 1, 1, null),
	('runaway_within_12m_of_entry_pct', 'year', 'total', '2024', '', 1, 1, null);

-- Distinct children of a few cells: 2024 days of C1 and C2; C3 alone in
-- 12-14 in 2025; the two 2025 returns (M3, M6) are both C2's; C1 and C2
-- still missing at the end of 2025.
update crosscheck.expected set children = 2
where metric = 'moves_per_1000_days_in_care' and period = '2024' and dim = 'total';
update crosscheck.expected set children = 1
where metric = 'moves_per_1000_days_in_care' and period = '2025' and grp = '12-14';
update crosscheck.expected set children = 1
where metric = 'days_missing_median' and period = '2025' and dim = 'total';
update crosscheck.expected set children = 2
where metric = 'still_missing_count' and period = '2025' and dim = 'total';

-- Cells that must not exist (no numerator, no denominator).
update crosscheck.expected set expect_absent = true
where numerator = 0 and denominator = 0;
insert into crosscheck.expected (metric, period_type, dim, period, grp, expect_absent) values
	('runaway_within_12m_of_entry_pct', 'fiscal_year', 'total', 'FY2025', '', true),
	('screened_positive_pct', 'year', 'total', '2025', '', true),
	('moves_per_1000_days_in_care', 'month', 'total', '2024-08', '', true), -- E40 dropped
	('moves_per_1000_days_in_care', 'year', 'total', '2023', '', true);     -- E80 dropped

-- ===========================================================================
-- Issue 17 (docs/metrics.md: same-day episodes, permanency, re-entry, the
-- program's reach, trafficking identification). A separate source, deid17,
-- so that the cells above do not move, and a separate table of hand-worked
-- cells, crosscheck.expected17, checked against metrics17.sql
-- (tests/crosscheck/check17.sh). as_of = 2025-06-30 (as_of + 1 = 2025-07-01),
-- fy_start = 10, TimeZone UTC. Each scenario has its own county, so a
-- county's cells rest on that scenario alone.
-- ===========================================================================

drop schema if exists deid17 cascade;
create schema deid17;
create table deid17.children (like deid.children);
create table deid17.episodes (like deid.episodes);
create table deid17.placements (like deid.placements);
create table deid17.missing_episodes (like deid.missing_episodes);
create table deid17.advocate_assignments (like deid.advocate_assignments);
create table deid17.extract_batches (like deid.extract_batches);
create table deid17.trafficking_identifications (identification_key bigint, episode_key bigint,
	identified_at timestamptz, while_in_care boolean, reported_le_at timestamptz);
insert into deid17.extract_batches values (1, '2025-07-01 00:00+00');

insert into deid17.children values
	-- Perm: K1 K2 K7 K8 K9 10 in 2024; K3 17 (18th birthday 2024-09-01);
	-- K4 18 at removal; K5 7; K6 5.
	(101, '2014-01-01', 'female', 'white'), (102, '2014-01-01', 'male', 'white'),
	(103, '2006-09-01', 'female', 'black'), (104, '2006-01-01', 'male', 'black'),
	(105, '2016-05-01', 'female', 'hispanic'), (106, '2019-03-01', 'male', 'white'),
	(107, '2014-01-01', 'female', 'white'), (108, '2014-01-01', 'male', 'white'),
	(109, '2014-01-01', 'female', 'white'),
	-- Reentry: all 8 in 2023.
	(201, '2015-01-01', 'male', 'white'), (202, '2015-01-01', 'female', 'white'),
	(203, '2015-01-01', 'male', 'black'), (204, '2015-01-01', 'female', 'black'),
	(205, '2015-01-01', 'male', 'white'), (206, '2015-01-01', 'female', 'white'),
	-- Assign: all 8.
	(301, '2016-01-01', 'female', 'white'), (302, '2016-01-01', 'male', 'white'),
	(303, '2016-01-01', 'female', 'white'), (304, '2016-01-01', 'male', 'white'),
	(305, '2016-01-01', 'female', 'white'), (306, '2016-01-01', 'male', 'white'),
	(307, '2016-01-01', 'female', 'white'),
	-- Traffic: T1 15 in 2025-04 (14 at removal), T2 male 16 in 2025 (15 at
	-- removal), T3 14 in 2025 (13 at removal), T4 16 in 2025-06 (15 at
	-- removal), T5 13.
	(401, '2009-06-01', 'female', 'white'), (402, '2008-09-01', 'male', 'black'),
	(403, '2010-05-01', 'female', 'hispanic'), (404, '2008-11-01', 'female', 'white'),
	(405, '2011-02-01', 'female', 'black'),
	-- Window: W1 13, W2 14, W3 and W4 15 at removal.
	(501, '2011-01-01', 'female', 'white'), (502, '2010-01-01', 'male', 'white'),
	(503, '2009-01-01', 'female', 'white'), (504, '2009-01-01', 'male', 'white'),
	-- Sameday: S1 3 in 2024-06; S2 15; S3 8.
	(601, '2021-02-01', 'male', 'white'), (602, '2009-01-01', 'female', 'white'),
	(603, '2016-01-01', 'female', 'black'),
	-- Exit: both 8.
	(701, '2016-01-01', 'female', 'white'), (702, '2016-01-01', 'male', 'white');

insert into deid17.episodes values
	-- permanency_12m_entries_pct: E101 discharged on removal + 364 (within),
	-- E102 on removal + 365 (not within): 2024-03-01 + 365 = 2025-03-01.
	(101, 101, 'Perm', '2024-03-01', '2025-02-28', 'reunification'),
	(102, 102, 'Perm', '2024-03-01', '2025-03-01', 'reunification'),
	(103, 103, 'Perm', '2024-02-01', '2024-09-01', 'reunification'), -- on the 18th birthday
	(104, 104, 'Perm', '2024-02-01', '2024-03-01', 'emancipation'),  -- 18 at removal: out
	-- K5: E105 has 7 days (out), E106 exactly 8 (the first entry), E107 a
	-- second entry (not counted) and E106's re-entry.
	(105, 105, 'Perm', '2024-01-10', '2024-01-17', 'reunification'),
	(106, 105, 'Perm', '2024-02-01', '2024-02-09', 'relative'),
	(107, 105, 'Perm', '2024-04-01', '2024-05-01', 'adoption'),
	(108, 106, 'Perm', '2024-07-01', '2024-12-01', 'guardianship'),  -- removal + 365 = as_of + 1
	(109, 107, 'Perm', '2024-07-02', '2024-08-01', 'reunification'), -- one day short: out
	(110, 108, 'Perm', '2024-05-01', '2024-05-20', 'transfer'),
	(111, 109, 'Perm', '2024-04-01', null, null),
	-- reentry_12m_pct, 2023 entries; 2023-04-01 + 365 = 2024-03-31 (2024 is leap).
	(201, 201, 'Reentry', '2023-01-10', '2023-03-01', 'reunification'),
	(202, 201, 'Reentry', '2023-03-01', '2023-05-01', 'reunification'), -- on the discharge day
	(203, 202, 'Reentry', '2023-02-01', '2023-04-01', 'relative'),
	(204, 202, 'Reentry', '2024-03-31', null, null),                     -- discharge + 365
	(205, 203, 'Reentry', '2023-02-01', '2023-04-01', 'guardianship'),
	(206, 203, 'Reentry', '2024-03-30', null, null),                     -- discharge + 364
	(207, 204, 'Reentry', '2023-03-01', '2023-06-01', 'reunification'),
	(208, 204, 'Reentry', '2023-08-01', '2023-08-01', 'reunification'), -- same-day re-entry
	(209, 205, 'Reentry', '2023-03-01', '2023-05-01', 'adoption'),
	(210, 206, 'Reentry', '2023-04-01', '2023-05-15', 'reunification'),
	-- the assignment cohort and advocate_reach_pct
	(301, 301, 'Assign', '2024-01-15', '2025-01-31', 'reunification'),
	(302, 302, 'Assign', '2024-03-10', '2024-09-10', 'adoption'),
	(303, 303, 'Assign', '2024-06-01', '2024-08-01', 'reunification'),
	(304, 304, 'Assign', '2024-05-01', null, null),
	(305, 305, 'Assign', '2023-12-01', '2024-10-01', 'other'),
	(306, 306, 'Assign', '2025-01-01', null, null),
	(307, 307, 'Assign', '2025-03-01', null, null),
	-- trafficking identification
	(401, 401, 'Traffic', '2024-01-10', null, null),
	(402, 402, 'Traffic', '2024-02-01', null, null),
	(403, 403, 'Traffic', '2024-03-01', '2025-01-15', 'runaway'),
	(406, 403, 'Traffic', '2025-03-01', null, null),
	(404, 404, 'Traffic', '2024-05-01', null, null),
	(405, 405, 'Traffic', '2024-09-01', null, null),
	-- runaway_within_12m_of_entry_pct under the 12-month maturity rule
	(501, 501, 'Window', '2024-03-01', '2024-06-10', 'reunification'),
	(502, 502, 'Window', '2024-09-01', '2024-12-01', 'reunification'),
	(503, 503, 'Window', '2024-07-01', null, null),
	(504, 504, 'Window', '2024-07-02', '2024-07-20', 'reunification'),
	-- a same-day episode (kept, no day in care) and a runaway discharge
	(601, 601, 'Sameday', '2024-06-03', '2024-06-03', 'reunification'),
	(602, 602, 'Sameday', '2024-01-05', '2024-06-20', 'runaway'),
	-- S3: a stay, then a same-day episode later in the year (its latest
	-- episode, but not one with a day in care)
	(603, 603, 'Sameday', '2024-02-01', '2024-05-10', 'reunification'),
	(604, 603, 'Sameday', '2024-07-03', '2024-07-03', 'relative'),
	-- S2, still missing (M601), comes back for a day
	(605, 602, 'Sameday', '2024-09-01', '2024-09-01', 'other'),
	-- re-entry's exit maturity: discharge + 365 = as_of + 1 counts, a day later waits
	(701, 701, 'Exit', '2024-03-01', '2024-07-01', 'reunification'),
	(702, 702, 'Exit', '2024-03-01', '2024-07-02', 'reunification');

insert into deid17.placements values
	(5011, 501, 'foster_home', 51, '2024-03-01', null),
	(6011, 601, 'foster_home', 61, '2024-06-03', '2024-06-05'), -- no day in care: dropped
	(6021, 602, 'group_home', 62, '2024-01-05', null);

insert into deid17.advocate_assignments values
	-- A1: the earliest start (2024-02-01) is the first assignment, not the
	-- lower key. A5: the earlier row ends before it starts (dropped).
	(3011, 301, '2024-03-01', null),
	(3012, 301, '2024-02-01', '2024-02-20'),
	(3021, 302, '2024-03-10', '2024-06-30'),  -- on the removal day; ends on 06-30
	(3031, 303, '2024-07-02', null),
	(3041, 304, '2024-07-01', null),
	(3051, 305, '2024-01-01', null),
	(3052, 305, '2023-12-05', '2023-12-01'),
	(3061, 306, '2025-02-01', '2025-06-30'),
	(4011, 401, '2025-04-01', null),
	(4031, 403, '2024-04-01', null),          -- open past E403's discharge
	(4061, 406, '2025-03-01', null),
	(6011, 601, '2024-06-03', '2024-06-05'); -- no day in care: dropped

insert into deid17.missing_episodes (missing_key, episode_key, went_missing_at, returned_at) values
	(401, 401, '2025-03-01 10:00+00', '2025-03-05 12:00+00'),
	(405, 401, '2024-10-01 10:00+00', '2024-10-03 10:00+00'),
	(402, 402, '2025-03-10 08:00+00', '2025-03-12 08:00+00'),
	(406, 402, '2024-11-01 10:00+00', '2024-11-04 10:00+00'),
	(403, 403, '2025-01-10 20:00+00', '2025-02-01 10:00+00'), -- returns after discharge
	(404, 404, '2025-06-05 10:00+00', '2025-06-06 10:00+00'), -- ends after as_of - 30
	(501, 501, '2024-04-01 10:00+00', '2024-04-02 10:00+00'),
	(502, 502, '2024-10-05 10:00+00', '2024-10-06 10:00+00'),
	(601, 602, '2024-06-15 10:00+00', null);                  -- S2, never back

insert into deid17.trafficking_identifications values
	-- I401: exactly 30 days after M401's return; reported exactly 24 h later.
	(401, 401, '2025-04-04 12:00+00', true, '2025-04-05 12:00+00'),
	-- I402: 30 days and 1 s after M402's return; reported 1 s before it (kept, not timely).
	(402, 402, '2025-04-11 08:00:01+00', true, '2025-04-11 08:00:00+00'),
	-- I403: T3 while still missing after the discharge (not in care, kept;
	-- before the return, so not "after missing"); reported 24 h + 1 s later.
	(403, 403, '2025-01-31 10:00+00', false, '2025-02-01 10:00:01+00'),
	-- I416: T3 again, on her next episode, inside M403's 30 days.
	(416, 406, '2025-03-02 10:00+00', true, '2025-03-02 10:30+00'),
	(404, 404, '2025-06-07 10:00+00', true, null),
	-- I405: before E405's removal, not in care (kept), reported 6 h later.
	(405, 405, '2024-08-20 09:00+00', false, '2024-08-20 15:00+00'),
	-- I411: reported within 24 h but after as_of: not reported yet.
	(411, 402, '2025-06-30 12:00+00', true, '2025-07-01 01:00+00'),
	-- I412: T2 while missing (M406), before the return.
	(412, 402, '2024-11-03 10:00+00', true, '2024-11-03 11:00+00'),
	(406, 999999, '2025-01-01 10:00+00', true, null),                 -- dangling episode
	(401, 401, '2025-01-20 10:00+00', true, '2025-01-20 11:00+00'),   -- duplicate key
	(408, 405, '2024-08-25 10:00+00', true, '2024-08-25 11:00+00'),   -- in care? before removal
	(409, 401, '2025-07-01 10:00+00', true, null),                    -- after as_of: ignored
	(410, 401, null, true, null),                                     -- null identified_at
	(413, 401, '2025-05-01 10:00+00', null, null),                    -- null while_in_care
	-- I417: long before E405 (not in care), before the first removal of the
	-- source (2023-01-10): outside the year, quarter and month tables, inside
	-- the first fiscal year's (FY2023 from 2022-10-01).
	(417, 405, '2022-12-15 10:00+00', false, null);

create table crosscheck.expected17 (like crosscheck.expected including defaults);
insert into crosscheck.expected17 (metric, period_type, dim, period, grp, numerator, denominator,
	quantile_2s, children) values
	-- permanency_12m_entries_pct 2024, Perm. Cohort: E101 (yes: 364 days),
	-- E102 (no: 365), E103 (no: discharged on the 18th birthday), E106 (K5's
	-- first entry passing the exclusions: 8 days, relative: yes), E108 (yes:
	-- removal + 365 = as_of + 1 counts), E110 (transfer: no), E111 (open:
	-- no). Out: E104 (18), E105 (7 days), E107 (second entry), E109 (one
	-- day short of maturity). 3 of 7 children.
	('permanency_12m_entries_pct', 'year', 'county', '2024', 'Perm', 3, 7, null, 7),
	('permanency_12m_entries_pct', 'fiscal_year', 'county', 'FY2024', 'Perm', 3, 7, null, 7),
	-- 2023, Reentry: six first entries, all permanency within 12 months.
	('permanency_12m_entries_pct', 'year', 'county', '2023', 'Reentry', 6, 6, null, null),
	-- 2024, Reentry: E204, E206 (open, mature): 0 of 2.
	('permanency_12m_entries_pct', 'year', 'county', '2024', 'Reentry', 0, 2, null, null),
	-- Sameday 2024: S1's same-day episode has 0 days (out); S2 runaway (no),
	-- S3's E603 (reunification after 99 days: yes): 1 of 2.
	('permanency_12m_entries_pct', 'year', 'county', '2024', 'Sameday', 1, 2, null, 2),

	-- reentry_12m_pct 2023, Reentry: exits home E201, E203, E205, E207, E210
	-- (E209 adoption is not in the denominator). Re-entered: E202 on E201's
	-- discharge day, E206 on E205's discharge + 364, E208 (same-day) after
	-- E207; not: E204 on E203's discharge + 365, E210 never. 3 of 5.
	('reentry_12m_pct', 'year', 'county', '2023', 'Reentry', 3, 5, null, 5),
	('reentry_12m_pct', 'fiscal_year', 'county', 'FY2023', 'Reentry', 3, 5, null, null),
	-- 2024, Sameday: E603 exits home 2024-05-10, E604 (same-day) re-enters.
	('reentry_12m_pct', 'year', 'county', '2024', 'Sameday', 1, 1, null, 1),
	-- 2024, Exit: E701's exit (2024-07-01) counts, E702's (07-02) waits: 0 of 1.
	('reentry_12m_pct', 'year', 'county', '2024', 'Exit', 0, 1, null, 1),
	-- 2024, Perm: only E106 exits home by as_of + 1 - 365 = 2024-07-01
	-- (E108's exit 2024-12-01 is too recent); E107 re-enters: 1 of 1.
	('reentry_12m_pct', 'year', 'county', '2024', 'Perm', 1, 1, null, null),

	-- permanency_12m_after_assignment_pct 2024, Assign. First starts: A1
	-- 2024-02-01 (discharge 2025-01-31 = start + 365, 2024 leap: no), A2
	-- 2024-03-10 (adoption 2024-09-10: yes), A4 2024-07-01 (start + 365 =
	-- as_of + 1: counted, open: no), A5 2024-01-01 (discharge `other`: no).
	-- A3's 2024-07-02 is one day short: out. 1 of 4; with E403 (Traffic,
	-- 2024-04-01, runaway: no) 1 of 5 in all.
	('permanency_12m_after_assignment_pct', 'year', 'county', '2024', 'Assign', 1, 4, null, 4),
	('permanency_12m_after_assignment_pct', 'year', 'total', '2024', '', 1, 5, null, null),
	('permanency_12m_after_assignment_pct', 'year', 'advocate', '2024', 'assigned', 1, 5, null,
	 null),

	-- days_to_assignment_median (q2s = twice the median x 86400). 2024, Assign:
	-- A1 17, A2 0 (starts on the removal day), A3 31, A4 61, A5 31 -> median
	-- 31 -> 62 x 86400 = 5356800. All of 2024 adds E403's 31: 0 17 31 31 31
	-- 61, median (31 + 31) / 2 -> 5356800 over 6.
	('days_to_assignment_median', 'year', 'county', '2024', 'Assign', null, 5, 5356800, null),
	('days_to_assignment_median', 'year', 'total', '2024', '', null, 6, 5356800, null),
	('days_to_assignment_median', 'year', 'advocate', '2024', 'assigned', null, 6, 5356800,
	 null),
	-- 2024-Q1, Assign: A5 31, A1 17, A2 0 -> 17 -> 34 x 86400 = 2937600.
	('days_to_assignment_median', 'quarter', 'county', '2024-Q1', 'Assign', null, 3, 2937600,
	 null),
	-- 2024-Q3, Assign: A4 61, A3 31 -> (31 + 61) / 2 = 46 -> 92 x 86400 = 7948800.
	('days_to_assignment_median', 'quarter', 'county', '2024-Q3', 'Assign', null, 2, 7948800,
	 null),
	-- 2025: A6 31, E401 447, E406 0 -> 31.
	('days_to_assignment_median', 'year', 'total', '2025', '', null, 3, 5356800, null),

	-- advocate_reach_pct, Assign. 2024-06 (r = 06-30): A1..A5 in care;
	-- covered: A1 (3011), A5 (3051); A2's ends on r, A3's and A4's start
	-- later: 2 of 5. 2024-12: A1, A4 both covered. 2025-02: A4, A6 covered.
	-- 2025 (r = as_of): A4 yes, A6 (ends on r) no, A7 none: 1 of 3.
	('advocate_reach_pct', 'month', 'county', '2024-06', 'Assign', 2, 5, null, 5),
	('advocate_reach_pct', 'month', 'county', '2024-12', 'Assign', 2, 2, null, null),
	('advocate_reach_pct', 'month', 'county', '2025-02', 'Assign', 2, 2, null, null),
	('advocate_reach_pct', 'year', 'county', '2025', 'Assign', 1, 3, null, null),
	-- 2025, everyone in care on 2025-06-30: A4 A6 A7, K9, R2 R3, T1..T5, W3
	-- = 12; covered: A4, T1 (4011), T3 (4061) = 3. Assigned in 2025 at
	-- all: A4, A6, T1, T3 (3 of 4); never: the other 8 (0 of 8).
	('advocate_reach_pct', 'year', 'total', '2025', '', 3, 12, null, 12),
	('advocate_reach_pct', 'year', 'advocate', '2025', 'assigned', 3, 4, null, null),
	('advocate_reach_pct', 'year', 'advocate', '2025', 'not_assigned', 0, 8, null, null),

	-- trafficking_identified_per_1000_served, Traffic. 2025: I401 I402 I403
	-- I404 I411 I416 = 6 over T1..T5 served = 5. 2024: I405 (before removal,
	-- not in care) and I412 = 2 over 5 (I408 dropped: in care, before
	-- removal). FY2025 adds I412: 7 over 5. 2025 in all: 6 over the 15
	-- children served (K1 K2 K9, R2 R3, A1 A4 A6 A7, T1..T5, W3).
	('trafficking_identified_per_1000_served', 'year', 'county', '2025', 'Traffic', 6, 5, null, 5),
	('trafficking_identified_per_1000_served', 'year', 'county', '2024', 'Traffic', 2, 5, null, 5),
	('trafficking_identified_per_1000_served', 'fiscal_year', 'county', 'FY2025', 'Traffic', 7, 5,
	 null, null),
	('trafficking_identified_per_1000_served', 'year', 'total', '2025', '', 6, 15, null, 15),

	-- identified_after_missing_pct: returns on or before as_of - 30 =
	-- 2025-05-31. 2025: M403 (I416 on T3's next episode, inside 30 days: yes;
	-- I403 is before the return), M401 (I401 exactly 30 days after: yes),
	-- M402 (I402 30 days + 1 s: no) = 2 of 3. M404 (06-06) waits.
	('identified_after_missing_pct', 'year', 'total', '2025', '', 2, 3, null, 3),
	('identified_after_missing_pct', 'month', 'total', '2025-03', '', 1, 2, null, null),
	('identified_after_missing_pct', 'month', 'total', '2025-02', '', 1, 1, null, null),
	-- 2024, Traffic: M405 (none), M406 (I412 before the return): 0 of 2.
	('identified_after_missing_pct', 'year', 'county', '2024', 'Traffic', 0, 2, null, null),
	('identified_after_missing_pct', 'fiscal_year', 'county', 'FY2025', 'Traffic', 2, 5, null,
	 null),
	-- by the begin day: M403 began under assignment 4031; M401, M402 not.
	('identified_after_missing_pct', 'year', 'advocate', '2025', 'assigned', 1, 1, null, null),
	('identified_after_missing_pct', 'year', 'advocate', '2025', 'not_assigned', 1, 2, null, null),

	-- trafficking_reported_le_24h_pct. 2025: I401 (exactly 24 h) and I416
	-- yes; I402 (1 s before), I403 (24 h + 1 s), I404 (none), I411 (after
	-- as_of) no: 2 of 6. 2024: I405, I412: 2 of 2.
	('trafficking_reported_le_24h_pct', 'year', 'total', '2025', '', 2, 6, null, null),
	('trafficking_reported_le_24h_pct', 'year', 'total', '2024', '', 2, 2, null, null),
	('trafficking_reported_le_24h_pct', 'month', 'total', '2025-04', '', 1, 2, null, null),
	-- the duplicate of key 401 (2025-01-20) is dropped: I403 alone.
	('trafficking_reported_le_24h_pct', 'month', 'total', '2025-01', '', 0, 1, null, null),
	('trafficking_reported_le_24h_pct', 'month', 'total', '2024-08', '', 1, 1, null, 1),
	('trafficking_reported_le_24h_pct', 'fiscal_year', 'total', 'FY2023', '', 0, 1, null, 1),
	-- groups of the day: I401 (4011) and I416 (4061) assigned; I403 is not
	-- a day in care (E403's open assignment 4031 does not count).
	('trafficking_reported_le_24h_pct', 'year', 'advocate', '2025', 'assigned', 2, 2, null, null),
	('trafficking_reported_le_24h_pct', 'year', 'advocate', '2025', 'not_assigned', 0, 4, null,
	 null),
	('trafficking_reported_le_24h_pct', 'year', 'sex', '2025', 'male', 0, 2, null, 1),
	-- age on the day: I403, I416 14; I401 15; I402, I404, I411 16.
	('trafficking_reported_le_24h_pct', 'year', 'age_band', '2025', '12-14', 1, 2, null, null),
	('trafficking_reported_le_24h_pct', 'year', 'age_band', '2025', '15-17', 1, 4, null, null),

	-- runaway_within_12m_of_entry_pct, Window 2024: W1 (discharged early,
	-- removal + 365 <= as_of + 1: counted, M501 in its window: yes), W3
	-- (removal + 365 = as_of + 1: counted, no); W2 (discharged before
	-- as_of, but removal + 365 = 2025-09-01) and W4 (2024-07-02) wait.
	('runaway_within_12m_of_entry_pct', 'year', 'county', '2024', 'Window', 1, 2, null, 2),
	-- 2024 in all, 12-17 at removal: W1, T1 (M405), T2 (M406), T3 (M403)
	-- S2 (M601) yes; W3, K3, T4 (M404 after its window) no.
	('runaway_within_12m_of_entry_pct', 'year', 'total', '2024', '', 5, 8, null, null),

	-- Same-day episode E601 (2024-06-03): a discharge like any other, with
	-- no day in care (setting no_placement, not_assigned: its placement and
	-- assignment are dropped), age 3 on the day. June 2024 discharges: E601,
	-- E501 (foster_home), E602 (runaway, group_home).
	-- 2024: E601, E602 (runaway), E603, E604, E605.
	('runaway_discharges_pct', 'year', 'county', '2024', 'Sameday', 1, 5, null, 3),
	('runaway_discharges_pct', 'month', 'setting', '2024-06', 'no_placement', 0, 1, null, 1),
	('runaway_discharges_pct', 'month', 'setting', '2024-06', 'foster_home', 0, 1, null, null),
	('runaway_discharges_pct', 'month', 'setting', '2024-06', 'group_home', 1, 1, null, null),
	('runaway_discharges_pct', 'month', 'advocate', '2024-06', 'not_assigned', 1, 3, null, 3),
	('runaway_discharges_pct', 'month', 'age_band', '2024-06', '0-5', 0, 1, null, 1),
	-- ... and adds no day and no child: June 2024 in Sameday is E602's 19 days.
	('moves_per_1000_days_in_care', 'month', 'county', '2024-06', 'Sameday', 0, 19, null, 1),
	-- Children served in 2024, Sameday: S2 (E602, 1 placement) and S3, whose
	-- latest episode served is E603 (99 days, none), not the later E604: 2 of 2.
	('two_or_fewer_placements_pct', 'year', 'county', '2024', 'Sameday', 2, 2, null, 2),
	-- S2 still missing at 2024-09-30: her reference day is E602's last day in
	-- care (2024-06-19), not the same-day E605.
	('still_missing_count', 'month', 'county', '2024-09', 'Sameday', 1, null, null, 1);

-- Cells that must not exist.
insert into crosscheck.expected17 (metric, period_type, dim, period, grp, expect_absent) values
	('permanency_12m_entries_pct', 'fiscal_year', 'age_band', 'FY2024', '18+', true),
	('permanency_12m_after_assignment_pct', 'month', 'total', '2024-03', '', true),
	('permanency_12m_after_assignment_pct', 'year', 'total', '2025', '', true), -- immature
	('reentry_12m_pct', 'year', 'county', '2024', 'Reentry', true),            -- no exit
	('days_to_assignment_median', 'year', 'advocate', '2024', 'not_assigned', true),
	('trafficking_identified_per_1000_served', 'month', 'total', '2025-04', '', true),
	('identified_after_missing_pct', 'month', 'total', '2025-06', '', true),   -- waits 30 days
	('trafficking_reported_le_24h_pct', 'year', 'total', '2022', '', true),    -- I417: no table
	('trafficking_reported_le_24h_pct', 'month', 'total', '2022-12', '', true),
	('runaway_discharges_pct', 'month', 'advocate', '2024-06', 'assigned', true),
	('advocate_reach_pct', 'year', 'setting', '2025', 'no_placement', true);
