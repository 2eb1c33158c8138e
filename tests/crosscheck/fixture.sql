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
