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
#   strcmp; Kane and Will are only on dropped rows); refresh_key max(3, 7, 5) = 7;
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
	expect '.quality | length' 22
	expect .episodes 6
	expect .children 5
	expect .counties 4
	expect '.county_names | join("|")' $'Cook|DuPage|Lake|Tab\tCounty'
	expect .refresh_key 7
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
[ "$(jq -r .refresh_key <<<"$key")" = 7 ] || fail "refresh key: $key"
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
	"$PULL" --db "$conn" --schema src_rand --as-of 2025-06-30 --timezone "$zone" \
		--parallel 2 >"$out" || fail "casa-pull src_rand ($zone) failed"
	jq -r '(.quality | to_entries[] | "quality.\(.key)=\(.value)"),
		(.rows_kept | to_entries[] | "rows_kept.\(.key)=\(.value)")' "$out" |
		LC_ALL=C sort >"$TEST_TMP/got.txt"
	LC_ALL=C sort -o "$TEST_TMP/want.txt" "$TEST_TMP/want.txt"
	# 22 rules + 5 tables
	[ "$(wc -l <"$TEST_TMP/want.txt")" -eq 27 ] || fail "expected 27 SQL counts"
	diff "$TEST_TMP/want.txt" "$TEST_TMP/got.txt" >&2 ||
		fail "casa-pull and the SQL implementation disagree ($zone)"
	cp "$TEST_TMP/want.txt" "$TEST_TMP/want-${zone//\//_}.txt"
done
# The time-zone probes must move some counts, or the loop above proves little.
if cmp -s "$TEST_TMP/want-UTC.txt" "$TEST_TMP/want-America_Chicago.txt"; then
	fail "source_random.sql: the time zone changes no count"
fi

# 3. Schema check: a missing column and a wrongly typed one are named.
err=$TEST_TMP/err.txt
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-'SQL' || fail "creating src_broken"
	DROP SCHEMA IF EXISTS src_broken CASCADE;
	CREATE SCHEMA src_broken;
	CREATE TABLE src_broken.children AS SELECT * FROM src_test.children;
	CREATE TABLE src_broken.episodes AS SELECT * FROM src_test.episodes;
	CREATE TABLE src_broken.placements AS SELECT * FROM src_test.placements;
	CREATE TABLE src_broken.missing_episodes AS SELECT * FROM src_test.missing_episodes;
	CREATE TABLE src_broken.advocate_assignments AS SELECT * FROM src_test.advocate_assignments;
	CREATE TABLE src_broken.extract_batches AS SELECT * FROM src_test.extract_batches;
	ALTER TABLE src_broken.missing_episodes DROP COLUMN returned_at;
SQL
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

# 3b. statement_timeout applies to the pull: a view that sleeps 3 s against
# a 1 s timeout fails cleanly, naming the table.
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-'SQL' || fail "creating src_slow"
	DROP SCHEMA IF EXISTS src_slow CASCADE;
	CREATE SCHEMA src_slow;
	CREATE VIEW src_slow.children AS
		SELECT c.* FROM src_test.children c, (SELECT pg_sleep(3)) s;
	CREATE VIEW src_slow.episodes AS SELECT * FROM src_test.episodes;
	CREATE VIEW src_slow.placements AS SELECT * FROM src_test.placements;
	CREATE VIEW src_slow.missing_episodes AS SELECT * FROM src_test.missing_episodes;
	CREATE VIEW src_slow.advocate_assignments AS SELECT * FROM src_test.advocate_assignments;
	CREATE VIEW src_slow.extract_batches AS SELECT * FROM src_test.extract_batches;
SQL
"$PULL" --db "$conn" --schema src_slow --as-of 2025-06-30 >"$out" ||
	fail "views without a timeout must pull"
if "$PULL" --db "$conn" --schema src_slow --as-of 2025-06-30 --statement-timeout 1 \
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
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null 2>&1 <<-'SQL' || fail "creating src_empty"
	DROP SCHEMA IF EXISTS src_empty CASCADE;
	CREATE SCHEMA src_empty;
	CREATE TABLE src_empty.children AS SELECT * FROM src_test.children WHERE false;
	CREATE TABLE src_empty.episodes AS SELECT * FROM src_test.episodes WHERE false;
	CREATE TABLE src_empty.placements AS SELECT * FROM src_test.placements WHERE false;
	CREATE TABLE src_empty.missing_episodes AS SELECT * FROM src_test.missing_episodes WHERE false;
	CREATE TABLE src_empty.advocate_assignments AS SELECT * FROM src_test.advocate_assignments WHERE false;
	CREATE TABLE src_empty.extract_batches AS SELECT * FROM src_test.extract_batches WHERE false;
SQL
"$PULL" --db "$conn" --schema src_empty --as-of 2025-06-30 >"$out" || fail "empty pull failed"
expect .episodes 0
expect .refresh_key -1
expect .first_day 2025-06-30

psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS src_test WITH (FORCE)" >/dev/null || true
echo "test_source: OK"
