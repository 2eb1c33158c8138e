#!/usr/bin/env bash
# The source and model stages against a real PostgreSQL (SPEC §2, §3):
# tests/fixtures/quality.sql breaks every data-quality rule a known number of
# times; casa-pull must report exactly those counts. Then: the schema check
# names a missing or wrongly typed table.column, connection errors are clean
# and never echo the password, and the time zone moves a timestamp's date.
#
# Expected counts, summed by hand from the comments in quality.sql
# (as_of 2025-06-30, time zone UTC):
#   rows_read: children 7, episodes 12, placements 19, missing 13, assignments 9
#   rows_kept: children 5 (1,2,3,6,7); episodes 6 (10,11,12,18,19,20);
#              placements 9 (100-103,112-114,116,117); missing 5 (1000-1002,1009,1011);
#              assignments 2 (1,4)
#   drop_duplicate_key       1 child + 1 episode + 1 placement + 1 missing + 1 assignment = 5
#   drop_dangling_parent     episode 13 + placement 108 + missing 1006 + assignment 5 = 4
#   drop_parent_dropped      episode 14 (child 4), placements 107 (episode 13) and 110
#                            (episode 15), missing 1008 (episode 14), assignment 8
#                            (episode 15) = 5
#   drop_null_required       child 4 + episode 16 + placement 111 + missing 1005 + assignment 6 = 5
#   ignored_after_as_of      episode 17 + placement 109 + missing 1007, 1010 + assignment 7 = 5
#   drop_episode_ends_before_start 1 (15); drop_placement_ends_before_start 1 (105);
#   drop_placement_unknown_setting 1 (104); drop_placement_outside_care 2 (106, 115);
#   drop_assignment_ends_before_start 1 (2); drop_assignment_outside_care 1 (3);
#   drop_missing_returns_before_missing 1 (1004); drop_missing_outside_care 1 (1003)
#   keep_overlapping_placements 3 (102, 113, 116); keep_placement_after_discharge 2 (103, 112)
#   keep_report_before_informed 2 (1001 LE and NCMEC; 1011's report is after as_of)
#   keep_screen_before_return 1 (1002); keep_unknown_screen_result 1 (1002)
#   keep_unknown_sex 2 (child 3 'girl', child 7 ''), keep_unknown_race 1,
#   keep_birth_month_not_first 1 (child 3)
#   keep_unknown_discharge_reason 1 (episode 12)
#   so every row read is kept or counted once: 7 + 12 + 19 + 13 + 9 = 60 =
#   kept 27 + 5 + 4 + 5 + 5 + 5 + 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1 = 60.
#   episodes 6; children 5; counties 4 (Cook, DuPage, Lake, "Tab\tCounty" by
#   strcmp; Kane and Will are only on dropped rows); refresh_key max(3, 12, 5, NULL) = 12;
#   first_day 2024-01-01. 'infinity' end dates (episode 20, placement 117)
#   read as open, not as errors.
# In America/Chicago, missing 1010 (2025-07-01 03:00 UTC) is 2025-06-30 22:00,
# on as_of, in care of open episode 10: kept 6, ignored_after_as_of 4.
source "$(dirname "$0")/lib.sh"

PULL=$CASA_BUILD_DIR/casa-pull
[ -x "$PULL" ] || fail "casa-pull not built in $CASA_BUILD_DIR"
admin=$("$PG" conninfo "$CASA_PG_DIR")
psql "$admin" -XqAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS src_test WITH (FORCE)" \
	-c "CREATE DATABASE src_test" >/dev/null
conn=${admin/dbname=casa/dbname=src_test}
psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/tests/fixtures/quality.sql" \
	>/dev/null 2>&1 || fail "loading quality.sql"

out=$TEST_TMP/pull.json
# clone_source SCHEMA [WHERE]: a fresh SCHEMA holding copies of src_test's six
# contract tables (with WHERE, e.g. "WHERE false", only those rows).
clone_source() {
	local sql="DROP SCHEMA IF EXISTS $1 CASCADE; CREATE SCHEMA $1;" table
	for table in children episodes placements missing_episodes advocate_assignments \
		extract_batches; do
		sql+=" CREATE TABLE $1.$table AS SELECT * FROM src_test.$table ${2:-};"
	done
	psql "$conn" -Xq -v ON_ERROR_STOP=1 -c "$sql" >/dev/null 2>&1 || fail "creating $1"
}
expect() { # jq-path expected
	local got
	got=$(json "$1" "$out")
	[ "$got" = "$2" ] || fail "$1: got $got, want $2"
}

check_utc() {
	expect .rows_read.children 7
	expect .rows_read.episodes 12
	expect .rows_read.placements 19
	expect .rows_read.missing_episodes 13
	expect .rows_read.advocate_assignments 9
	expect .rows_kept.children 5
	expect .rows_kept.episodes 6
	expect .rows_kept.placements 9
	expect .rows_kept.missing_episodes 5
	expect .rows_kept.advocate_assignments 2
	expect .quality.drop_duplicate_key 5
	expect .quality.drop_dangling_parent 4
	expect .quality.drop_parent_dropped 5
	expect .quality.drop_episode_ends_before_start 1
	expect .quality.drop_placement_ends_before_start 1
	expect .quality.drop_placement_unknown_setting 1
	expect .quality.drop_placement_outside_care 2
	expect .quality.drop_assignment_ends_before_start 1
	expect .quality.drop_assignment_outside_care 1
	expect .quality.drop_missing_returns_before_missing 1
	expect .quality.drop_missing_outside_care 1
	expect .quality.drop_null_required 5
	expect .quality.keep_overlapping_placements 3
	expect .quality.keep_placement_after_discharge 2
	expect .quality.keep_report_before_informed 2
	expect .quality.keep_screen_before_return 1
	expect .quality.keep_unknown_sex 2
	expect .quality.keep_unknown_race 1
	expect .quality.keep_unknown_discharge_reason 1
	expect .quality.keep_unknown_screen_result 1
	expect .quality.keep_birth_month_not_first 1
	expect .quality.ignored_after_as_of 5
	expect .quality.drop_before_earliest_date 0
	expect .quality.drop_date_out_of_range 0
	expect .quality.drop_text_invalid_encoding 0
	expect .quality.keep_county_name_cut 0
	expect '.quality | length' 26
	expect .episodes 6
	expect .children 5
	expect .counties 4
	expect '.county_names | join("|")' $'Cook|DuPage|Lake|Tab\tCounty'
	expect .refresh_key 12
	expect .first_day 2024-01-01
}

# 1. Every rule, serial and parallel pulls (same snapshot, same counts).
for parallel in 1 3; do
	"$PULL" --db "$conn" --schema src_test --as-of 2025-06-30 --timezone UTC \
		--parallel "$parallel" >"$out" || fail "casa-pull --parallel $parallel failed"
	check_utc
done
# Aggregates only: no key of the fixture (e.g. 1000, 1011) may appear.
if grep -Eq '\b(1000|1001|1011|555|777|999)\b' "$out"; then
	fail "casa-pull printed a key"
fi

# 1b. The cheap refresh key (its own connection), a multi-host list whose
# first host is dead (extra connections must follow the main one), and an
# empty conninfo with PG* environment variables, as in psql.
key=$("$PULL" --db "$conn" --schema src_test --refresh-key) || fail "refresh key"
[ "$(jq -r .refresh_key <<<"$key")" = 12 ] || fail "refresh key: $key"
pg_port=$(sed -n 's/.*port=\([0-9]*\).*/\1/p' <<<"$conn")
dead_port=$(free_port)
"$PULL" --db "host=127.0.0.1,127.0.0.1 port=$dead_port,$pg_port user=casa_admin dbname=src_test" \
	--schema src_test --as-of 2025-06-30 --timezone UTC --parallel 3 >"$out" ||
	fail "multi-host pull failed"
check_utc
PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=casa_admin PGDATABASE=src_test \
	"$PULL" --db "" --schema src_test --as-of 2025-06-30 --timezone UTC >"$out" ||
	fail "pull with PG* environment failed"
check_utc

# 2. Time zone: the 03:00 UTC timestamp is the evening before in Chicago.
"$PULL" --db "$conn" --schema src_test --as-of 2025-06-30 --timezone America/Chicago \
	>"$out" || fail "casa-pull (Chicago) failed"
expect .rows_kept.missing_episodes 6
expect .quality.ignored_after_as_of 4

# 2b. Randomized rows against an independent SQL implementation of the
# counting conventions (tests/fixtures/source_random.sql): every rule and
# every rows_kept count must agree, in two time zones (the SQL turns
# timestamps into dates in the session zone, casa-pull in its --timezone).
psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/tests/fixtures/source_random.sql" \
	>/dev/null 2>&1 || fail "loading source_random.sql"
for zone in UTC America/Chicago; do
	PGTZ=$zone psql "$conn" -XAt -v ON_ERROR_STOP=1 \
		-c "SELECT name || '=' || value FROM src_rand.expected ORDER BY 1" \
		>"$TEST_TMP/want.txt" || fail "src_rand.expected"
	"$PULL" --db "$conn" --schema src_rand --as-of 2025-06-30 --earliest-date 2022-01-01 \
		--timezone "$zone" --parallel 2 >"$out" || fail "casa-pull src_rand ($zone) failed"
	jq -r '(.quality | to_entries[] | "quality.\(.key)=\(.value)"),
		(.rows_kept | to_entries[] | "rows_kept.\(.key)=\(.value)")' "$out" |
		LC_ALL=C sort >"$TEST_TMP/got.txt"
	LC_ALL=C sort -o "$TEST_TMP/want.txt" "$TEST_TMP/want.txt"
	# 28 rules + 6 tables (src_rand has the optional identifications table)
	[ "$(wc -l <"$TEST_TMP/want.txt")" -eq 34 ] || fail "expected 34 SQL counts"
	diff "$TEST_TMP/want.txt" "$TEST_TMP/got.txt" >&2 ||
		fail "casa-pull and the SQL implementation disagree ($zone)"
	cp "$TEST_TMP/want.txt" "$TEST_TMP/want-${zone//\//_}.txt"
done
# The time-zone probes must move some counts, or the loop above proves little.
if cmp -s "$TEST_TMP/want-UTC.txt" "$TEST_TMP/want-America_Chicago.txt"; then
	fail "source_random.sql: the time zone changes no count"
fi
# So must every fate of an identification (the six drops, ignored, kept),
# an identification whose episode or child was left out among them.
fates=$(psql "$conn" -XAt -v ON_ERROR_STOP=1 \
	-c "SELECT count(DISTINCT fate) FROM src_rand.identification_fate") || fail "fates"
[ "$fates" = 8 ] || fail "source_random.sql: identifications reach $fates fates, want 8"
# Long county names (issue 16 row 3) must be among the kept rows.
grep -q '^quality.keep_county_name_cut=[1-9]' "$TEST_TMP/want-UTC.txt" ||
	fail "source_random.sql: no kept episode with a county name over 255 bytes"
# And the earliest_date rule must meet every table (issue 16 row 1).
for view in episode placement missing assignment identification; do
	n=$(psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "SELECT count(*) FROM src_rand.${view}_fate
		WHERE fate = 'drop_before_earliest_date'") || fail "$view fates"
	[ "$n" -gt 0 ] || fail "source_random.sql: no $view before earliest_date"
done

# 3. Schema check: a missing column and a wrongly typed one are named.
err=$TEST_TMP/err.txt
clone_source src_broken
psql "$conn" -Xq -v ON_ERROR_STOP=1 -c \
	"ALTER TABLE src_broken.missing_episodes DROP COLUMN returned_at" >/dev/null ||
	fail "altering src_broken"
if "$PULL" --db "$conn" --schema src_broken --as-of 2025-06-30 >"$out" 2>"$err"; then
	fail "a missing column must fail the pull"
fi
grep -q 'src_broken\.missing_episodes\.returned_at: column missing' "$err" ||
	fail "missing column not named: $(cat "$err")"
grep -qx 'failure: contract' "$err" || fail "a missing column is a contract failure: $(cat "$err")"
psql "$conn" -Xq -v ON_ERROR_STOP=1 -c \
	"ALTER TABLE src_broken.missing_episodes ADD COLUMN returned_at integer" >/dev/null
if "$PULL" --db "$conn" --schema src_broken --as-of 2025-06-30 >"$out" 2>"$err"; then
	fail "a wrongly typed column must fail the pull"
fi
grep -q 'src_broken\.missing_episodes\.returned_at: has type integer, expected timestamp with time zone' \
	"$err" || fail "wrong type not named: $(cat "$err")"
if "$PULL" --db "$conn" --schema no_such_schema --as-of 2025-06-30 >"$out" 2>"$err"; then
	fail "a missing schema must fail the pull"
fi
grep -q 'no_such_schema\.children: table missing' "$err" ||
	fail "missing table not named: $(cat "$err")"

# 3a. The optional trafficking_identifications table (issue 17). Absent
# (src_test): one log line, no error, and neither its table nor its two
# rules in the report (checked by check_utc: 26 rules). Present (src_ident,
# src_test's rows plus these, by hand, as_of 2025-06-30, UTC; episode 11 in
# care 2024-02-01..2024-05-31, 10 open from 2024-01-01, 15 dropped, 14
# dropped with its child 4):
#   1   11 2024-03-01 in care, reported 2 h later          kept
#   1   10 (same key again)                                drop_duplicate_key
#   2   11 null identified_at                              drop_null_required
#   3   11 null while_in_care                              drop_null_required
#   4  999 dangling episode                                drop_dangling_parent
#   5   11 2025-07-01                                      ignored_after_as_of
#   6   11 2024-06-01 in care (the discharge day)          drop_identification_outside_care
#   7   11 2024-08-01 not in care                          kept
#   8   10 2024-05-01 10:00, reported 09:00                kept, keep_report_before_identified
#   9   15 (episode dropped)                               drop_parent_dropped
#  10   14 (its child dropped)                             drop_parent_dropped
# rows_read 11, rows_kept 3; its rules add 1 duplicate, 2 null_required, 1
# dangling, 1 ignored, 2 parent dropped to src_test's 5, 5, 4, 5, 5.
"$PULL" --db "$conn" --schema src_test --as-of 2025-06-30 --timezone UTC >"$out" 2>"$err" ||
	fail "pull without identifications failed"
[ "$(grep -c 'src_test.trafficking_identifications absent' "$err")" = 1 ] ||
	fail "absent identifications: want one log line, got: $(cat "$err")"
expect '.rows_read | has("trafficking_identifications") | tostring' false
clone_source src_ident
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-'SQL' || fail "creating src_ident"
	CREATE TABLE src_ident.trafficking_identifications (identification_key bigint,
		episode_key bigint, identified_at timestamptz, while_in_care boolean,
		reported_le_at timestamptz);
	INSERT INTO src_ident.trafficking_identifications VALUES
		(1, 11, '2024-03-01 10:00+00', true, '2024-03-01 12:00+00'),
		(1, 10, '2024-03-02 10:00+00', true, NULL),
		(2, 11, NULL, true, NULL),
		(3, 11, '2024-03-01 10:00+00', NULL, NULL),
		(4, 999, '2024-03-01 10:00+00', true, NULL),
		(5, 11, '2025-07-01 10:00+00', false, NULL),
		(6, 11, '2024-06-01 10:00+00', true, NULL),
		(7, 11, '2024-08-01 10:00+00', false, NULL),
		(8, 10, '2024-05-01 10:00+00', true, '2024-05-01 09:00+00'),
		(9, 15, '2024-08-01 10:00+00', false, NULL),
		(10, 14, '2024-03-01 10:00+00', true, NULL);
SQL
for parallel in 1 3; do
	"$PULL" --db "$conn" --schema src_ident --as-of 2025-06-30 --timezone UTC \
		--parallel "$parallel" >"$out" 2>"$err" || fail "pull with identifications failed"
	grep -q 'absent' "$err" && fail "identifications present, yet: $(cat "$err")"
	expect .rows_read.trafficking_identifications 11
	expect .rows_kept.trafficking_identifications 3
	expect .quality.drop_duplicate_key 6
	expect .quality.drop_null_required 7
	expect .quality.drop_dangling_parent 5
	expect .quality.ignored_after_as_of 6
	expect .quality.drop_parent_dropped 7
	expect .quality.drop_identification_outside_care 1
	expect .quality.keep_report_before_identified 1
	expect '.quality | length' 28
done
psql "$conn" -Xq -v ON_ERROR_STOP=1 -c "ALTER TABLE src_ident.trafficking_identifications
	ALTER COLUMN while_in_care TYPE text" >/dev/null
if "$PULL" --db "$conn" --schema src_ident --as-of 2025-06-30 >"$out" 2>"$err"; then
	fail "a wrongly typed identifications column must fail the pull"
fi
grep -q 'src_ident\.trafficking_identifications\.while_in_care: has type text, expected boolean' \
	"$err" || fail "wrong type not named: $(cat "$err")"

# 3b. statement_timeout applies to the pull: a view that sleeps 4 s against
# a 2 s timeout fails cleanly, naming the table. (2 s, not 1: on a loaded
# machine the information_schema query before the COPY can take a second.)
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-'SQL' || fail "creating src_slow"
	DROP SCHEMA IF EXISTS src_slow CASCADE;
	CREATE SCHEMA src_slow;
	CREATE VIEW src_slow.children AS
		SELECT c.* FROM src_test.children c, (SELECT pg_sleep(4)) s;
	CREATE VIEW src_slow.episodes AS SELECT * FROM src_test.episodes;
	CREATE VIEW src_slow.placements AS SELECT * FROM src_test.placements;
	CREATE VIEW src_slow.missing_episodes AS SELECT * FROM src_test.missing_episodes;
	CREATE VIEW src_slow.advocate_assignments AS SELECT * FROM src_test.advocate_assignments;
	CREATE VIEW src_slow.extract_batches AS SELECT * FROM src_test.extract_batches;
SQL
"$PULL" --db "$conn" --schema src_slow --as-of 2025-06-30 >"$out" ||
	fail "views without a timeout must pull"
if "$PULL" --db "$conn" --schema src_slow --as-of 2025-06-30 --statement-timeout 2 \
	>"$out" 2>"$err"; then
	fail "the statement timeout did not apply"
fi
grep -q '^source: src_slow\.children: COPY: canceling statement due to statement timeout' "$err" ||
	fail "timeout message: $(cat "$err")"
grep -qx 'failure: server' "$err" || fail "a timeout is a server failure: $(cat "$err")"

# 4. Connection errors: clean message, exit 1, the password never echoed.
port=$(free_port)
if "$PULL" --db "host=127.0.0.1 port=$port dbname=x user=x password=Sekr1tPw connect_timeout=3" \
	--as-of 2025-06-30 >"$out" 2>"$err"; then
	fail "a closed port must fail"
fi
grep -q '^source: cannot connect' "$err" || fail "no clean connect error: $(cat "$err")"
grep -qx 'failure: connect' "$err" || fail "a closed port is a connect failure: $(cat "$err")"
if grep -q Sekr1tPw "$err"; then fail "password echoed"; fi
if "$PULL" --db "${conn} user=no_such_role password=Sekr1tPw" --as-of 2025-06-30 \
	>"$out" 2>"$err"; then
	fail "an unknown role must fail"
fi
grep -q '^source: cannot connect' "$err" || fail "no clean role error: $(cat "$err")"
if grep -q Sekr1tPw "$err"; then fail "password echoed"; fi
if "$PULL" --db "host=127.0.0.1 password=Sekr1tPw port" --as-of 2025-06-30 \
	>"$out" 2>"$err"; then
	fail "a malformed conninfo must fail"
fi
if grep -q Sekr1tPw "$err"; then fail "password echoed (malformed conninfo)"; fi

# 5. An empty source pulls to an empty model (first_day falls back to as_of).
clone_source src_empty "WHERE false"
"$PULL" --db "$conn" --schema src_empty --as-of 2025-06-30 >"$out" || fail "empty pull failed"
expect .episodes 0
expect .refresh_key -1
expect .first_day 2025-06-30

psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS src_test WITH (FORCE)" >/dev/null || true
echo "test_source: OK"
