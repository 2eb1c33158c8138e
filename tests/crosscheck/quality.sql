-- Independent SQL count of the data-quality rules (casa-gen --bad-rows check).
-- psql -v s=SCHEMA -v as_of=YYYY-MM-DD [-v earliest=YYYY-MM-DD, default
-- 2000-01-01 as the daemon's earliest_date]; timestamps read in UTC. The rules of
-- the optional trafficking_identifications table (docs/metrics.md, issue 17)
-- count only when the schema has it, and its two own rules appear only then.
SET TIME ZONE 'UTC';
\set ON_ERROR_STOP 1
\if :{?earliest}
\else
\set earliest 2000-01-01
\endif
CREATE TEMP TABLE ch AS SELECT row_number() OVER () rn, * FROM :s.children;
CREATE TEMP TABLE ep AS SELECT row_number() OVER () rn, * FROM :s.episodes;
CREATE TEMP TABLE pl AS SELECT row_number() OVER () rn, * FROM :s.placements;
CREATE TEMP TABLE mi AS SELECT row_number() OVER () rn, * FROM :s.missing_episodes;
CREATE TEMP TABLE aa AS SELECT row_number() OVER () rn, * FROM :s.advocate_assignments;
-- fate: null_required, duplicate, ignored, then kept candidates
CREATE TEMP TABLE chf AS SELECT *, CASE WHEN birth_month IS NULL OR child_key IS NULL THEN 'null'
  WHEN rn > min(rn) OVER (PARTITION BY child_key) THEN 'dup' ELSE 'ok' END fate FROM ch;
CREATE TEMP TABLE epf0 AS SELECT *, CASE WHEN county IS NULL OR removal_date IS NULL OR child_key IS NULL OR episode_key IS NULL THEN 'null'
  WHEN rn > min(rn) OVER (PARTITION BY episode_key) THEN 'dup'
  WHEN removal_date > :'as_of'::date THEN 'ignored'
  WHEN removal_date < :'earliest'::date THEN 'before_earliest'
  WHEN child_key NOT IN (SELECT child_key FROM ch WHERE child_key IS NOT NULL) THEN 'dangling'
  WHEN child_key NOT IN (SELECT child_key FROM chf WHERE fate = 'ok') THEN 'silent'
  WHEN discharge_date < removal_date THEN 'ends_before_start' ELSE 'ok' END fate FROM ep;
-- nulls are excluded from duplicate detection: recompute dup among non-null rows
UPDATE epf0 SET fate = 'ok' WHERE false;
CREATE TEMP TABLE epok AS SELECT episode_key, removal_date, least(coalesce(discharge_date, :'as_of'::date + 1), :'as_of'::date + 1) care_end, discharge_date FROM epf0 WHERE fate = 'ok';
CREATE TEMP TABLE plf AS SELECT p.*, CASE WHEN p.start_date IS NULL OR p.setting IS NULL OR p.episode_key IS NULL THEN 'null'
  WHEN p.rn > min(p.rn) OVER (PARTITION BY p.placement_key) THEN 'dup'
  WHEN p.start_date > :'as_of'::date THEN 'ignored'
  WHEN p.start_date < :'earliest'::date THEN 'before_earliest'
  WHEN p.episode_key NOT IN (SELECT episode_key FROM ep WHERE episode_key IS NOT NULL) THEN 'dangling'
  WHEN e.episode_key IS NULL THEN 'silent'
  WHEN p.end_date <= p.start_date THEN 'ends_before_start'
  WHEN p.setting NOT IN ('relative_home','foster_home','pre_adoptive_home','group_home','institution','supervised_independent_living','trial_home_visit','runaway','respite','hospital','detention') THEN 'unknown_setting'
  WHEN NOT (p.start_date >= e.removal_date AND p.start_date < e.care_end) THEN 'outside_care' ELSE 'ok' END fate,
  e.discharge_date ep_discharge
  FROM pl p LEFT JOIN epok e USING (episode_key);
CREATE TEMP TABLE af AS SELECT a.*, CASE WHEN a.start_date IS NULL OR a.episode_key IS NULL THEN 'null'
  WHEN a.rn > min(a.rn) OVER (PARTITION BY a.assignment_key) THEN 'dup'
  WHEN a.start_date > :'as_of'::date THEN 'ignored'
  WHEN a.start_date < :'earliest'::date THEN 'before_earliest'
  WHEN a.episode_key NOT IN (SELECT episode_key FROM ep WHERE episode_key IS NOT NULL) THEN 'dangling'
  WHEN e.episode_key IS NULL THEN 'silent'
  WHEN a.end_date <= a.start_date THEN 'ends_before_start'
  WHEN NOT (a.start_date >= e.removal_date AND a.start_date < e.care_end) THEN 'outside_care' ELSE 'ok' END fate
  FROM aa a LEFT JOIN epok e USING (episode_key);
CREATE TEMP TABLE mf AS SELECT m.*, CASE WHEN m.went_missing_at IS NULL OR m.episode_key IS NULL THEN 'null'
  WHEN m.rn > min(m.rn) OVER (PARTITION BY m.missing_key) THEN 'dup'
  WHEN m.went_missing_at::date > :'as_of'::date THEN 'ignored'
  WHEN m.went_missing_at::date < :'earliest'::date THEN 'before_earliest'
  WHEN m.episode_key NOT IN (SELECT episode_key FROM ep WHERE episode_key IS NOT NULL) THEN 'dangling'
  WHEN e.episode_key IS NULL THEN 'silent'
  WHEN m.returned_at < m.went_missing_at THEN 'returns_before'
  WHEN NOT (m.went_missing_at::date >= e.removal_date AND m.went_missing_at::date < e.care_end) THEN 'outside_care' ELSE 'ok' END fate
  FROM mi m LEFT JOIN epok e USING (episode_key);
SELECT to_regclass(:'s' || '.trafficking_identifications') IS NOT NULL AS has_identifications \gset
CREATE TEMP TABLE ti (rn bigint, identification_key bigint, episode_key bigint,
  identified_at timestamptz, while_in_care boolean, reported_le_at timestamptz);
\if :has_identifications
INSERT INTO ti SELECT row_number() OVER (), * FROM :s.trafficking_identifications;
\endif
CREATE TEMP TABLE tf AS SELECT t.*, CASE WHEN t.identification_key IS NULL OR t.episode_key IS NULL OR t.identified_at IS NULL OR t.while_in_care IS NULL THEN 'null'
  WHEN t.rn > min(t.rn) OVER (PARTITION BY t.identification_key) THEN 'dup'
  WHEN t.identified_at::date > :'as_of'::date THEN 'ignored'
  WHEN t.identified_at::date < :'earliest'::date THEN 'before_earliest'
  WHEN t.episode_key NOT IN (SELECT episode_key FROM ep WHERE episode_key IS NOT NULL) THEN 'dangling'
  WHEN e.episode_key IS NULL THEN 'silent'
  WHEN t.while_in_care AND NOT (t.identified_at::date >= e.removal_date AND t.identified_at::date < e.care_end) THEN 'outside_care' ELSE 'ok' END fate
  FROM ti t LEFT JOIN epok e USING (episode_key);
CREATE TEMP TABLE counts(rule text, n bigint);
INSERT INTO counts
SELECT 'drop_null_required', (SELECT count(*) FROM chf WHERE fate='null')+(SELECT count(*) FROM epf0 WHERE fate='null')+(SELECT count(*) FROM plf WHERE fate='null')+(SELECT count(*) FROM af WHERE fate='null')+(SELECT count(*) FROM mf WHERE fate='null')+(SELECT count(*) FROM tf WHERE fate='null')
UNION ALL SELECT 'drop_duplicate_key', (SELECT count(*) FROM chf WHERE fate='dup')+(SELECT count(*) FROM epf0 WHERE fate='dup')+(SELECT count(*) FROM plf WHERE fate='dup')+(SELECT count(*) FROM af WHERE fate='dup')+(SELECT count(*) FROM mf WHERE fate='dup')+(SELECT count(*) FROM tf WHERE fate='dup')
UNION ALL SELECT 'ignored_after_as_of', (SELECT count(*) FROM epf0 WHERE fate='ignored')+(SELECT count(*) FROM plf WHERE fate='ignored')+(SELECT count(*) FROM af WHERE fate='ignored')+(SELECT count(*) FROM mf WHERE fate='ignored')+(SELECT count(*) FROM tf WHERE fate='ignored')
UNION ALL SELECT 'drop_before_earliest_date', (SELECT count(*) FROM epf0 WHERE fate='before_earliest')+(SELECT count(*) FROM plf WHERE fate='before_earliest')+(SELECT count(*) FROM af WHERE fate='before_earliest')+(SELECT count(*) FROM mf WHERE fate='before_earliest')+(SELECT count(*) FROM tf WHERE fate='before_earliest')
-- Rows the source cannot read (issue 16 row 2): casa-gen writes none, and a
-- UTF8 database cannot hold invalid text (test_unreadable_rows counts both).
UNION ALL SELECT 'drop_date_out_of_range', 0
UNION ALL SELECT 'drop_text_invalid_encoding', 0
UNION ALL SELECT 'drop_dangling_parent', (SELECT count(*) FROM epf0 WHERE fate='dangling')+(SELECT count(*) FROM plf WHERE fate='dangling')+(SELECT count(*) FROM af WHERE fate='dangling')+(SELECT count(*) FROM mf WHERE fate='dangling')+(SELECT count(*) FROM tf WHERE fate='dangling')
UNION ALL SELECT 'drop_parent_dropped', (SELECT count(*) FROM epf0 WHERE fate='silent')+(SELECT count(*) FROM plf WHERE fate='silent')+(SELECT count(*) FROM af WHERE fate='silent')+(SELECT count(*) FROM mf WHERE fate='silent')+(SELECT count(*) FROM tf WHERE fate='silent')
UNION ALL SELECT 'drop_episode_ends_before_start', (SELECT count(*) FROM epf0 WHERE fate='ends_before_start')
UNION ALL SELECT 'drop_placement_ends_before_start', (SELECT count(*) FROM plf WHERE fate='ends_before_start')
UNION ALL SELECT 'drop_placement_unknown_setting', (SELECT count(*) FROM plf WHERE fate='unknown_setting')
UNION ALL SELECT 'drop_placement_outside_care', (SELECT count(*) FROM plf WHERE fate='outside_care')
UNION ALL SELECT 'drop_assignment_ends_before_start', (SELECT count(*) FROM af WHERE fate='ends_before_start')
UNION ALL SELECT 'drop_assignment_outside_care', (SELECT count(*) FROM af WHERE fate='outside_care')
UNION ALL SELECT 'drop_missing_returns_before_missing', (SELECT count(*) FROM mf WHERE fate='returns_before')
UNION ALL SELECT 'drop_missing_outside_care', (SELECT count(*) FROM mf WHERE fate='outside_care')
UNION ALL SELECT 'keep_overlapping_placements', (SELECT count(*) FROM plf p WHERE fate='ok' AND EXISTS (SELECT 1 FROM plf q WHERE q.fate='ok' AND q.episode_key=p.episode_key AND (q.start_date, q.placement_key) < (p.start_date, p.placement_key) AND (q.end_date IS NULL OR q.end_date > p.start_date)))
UNION ALL SELECT 'keep_placement_after_discharge', (SELECT count(*) FROM plf WHERE fate='ok' AND ep_discharge <= :'as_of'::date AND (end_date IS NULL OR end_date > ep_discharge))
UNION ALL SELECT 'keep_report_before_informed', (SELECT count(*) FILTER (WHERE reported_le_at::date <= :'as_of'::date AND reported_le_at < coalesce(agency_informed_at, went_missing_at)) + count(*) FILTER (WHERE reported_ncmec_at::date <= :'as_of'::date AND reported_ncmec_at < coalesce(agency_informed_at, went_missing_at)) FROM mf WHERE fate='ok')
UNION ALL SELECT 'keep_screen_before_return', (SELECT count(*) FROM mf WHERE fate='ok' AND screened_at::date <= :'as_of'::date AND returned_at::date <= :'as_of'::date AND screened_at < returned_at)
UNION ALL SELECT 'keep_unknown_sex', (SELECT count(*) FROM chf WHERE fate='ok' AND sex NOT IN ('female','male','other','unknown'))
UNION ALL SELECT 'keep_unknown_race', (SELECT count(*) FROM chf WHERE fate='ok' AND race_ethnicity NOT IN ('aian','asian','black','hispanic','nhpi','white','multiracial','unknown'))
UNION ALL SELECT 'keep_unknown_discharge_reason', (SELECT count(*) FROM epf0 WHERE fate='ok' AND discharge_date <= :'as_of'::date AND discharge_reason NOT IN ('reunification','relative','adoption','guardianship','emancipation','transfer','runaway','death','other'))
UNION ALL SELECT 'keep_unknown_screen_result', (SELECT count(*) FROM mf WHERE fate='ok' AND screen_result NOT IN ('positive','negative','inconclusive'))
UNION ALL SELECT 'keep_birth_month_not_first', (SELECT count(*) FROM chf WHERE fate='ok' AND extract(day FROM birth_month) <> 1)
UNION ALL SELECT 'keep_county_name_cut', (SELECT count(*) FROM epf0 WHERE fate='ok' AND octet_length(county) > 255);
\if :has_identifications
INSERT INTO counts
SELECT 'drop_identification_outside_care', (SELECT count(*) FROM tf WHERE fate='outside_care')
UNION ALL SELECT 'keep_report_before_identified', (SELECT count(*) FROM tf WHERE fate='ok' AND reported_le_at::date <= :'as_of'::date AND reported_le_at < identified_at);
\endif
\pset format unaligned
\pset tuples_only on
SELECT json_object_agg(rule, n ORDER BY rule) FROM counts;
