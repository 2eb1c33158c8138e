#!/usr/bin/env bash
# Issue 16 row 2: a single row with end_date 10000-01-01, a BC timestamp, or
# a byte invalid in the database encoding stopped the whole pull (no new
# data until someone fixed the row). Each is now a row left out and counted
# (drop_date_out_of_range, drop_text_invalid_encoding), in whatever table it
# is; the rest of the pull goes on. A row that could not be read has no key
# either: the rows under it count as drop_dangling_parent.
#
# 1. UTF8 database, every table (by hand; as_of 2025-06-30, UTC):
#    children      1 kept; 2 birth_month 12000-05-01                 -> date
#    episodes      10 kept; 11 of child 2                           -> dangling
#                  12 discharge_date 10000-01-01                     -> date
#    placements    100 kept; 101 end_date 10000-01-01; 102 start BC  -> date, date
#    missing       1000 kept; 1001 went_missing_at BC; 1002 returned
#                  in 10000                                          -> date, date
#    assignments   1 kept; 2 end_date 10000-01-01                    -> date
#    identifications 1 kept; 2 reported_le_at in 10000               -> date
#    drop_date_out_of_range = 1 + 1 + 2 + 2 + 1 + 1 = 8, and an SQL count of
#    the rows with a date or timestamp BC or after 9999 agrees table by
#    table (rows_read - rows_kept - the one dangling episode).
# 2. SQL_ASCII database (it stores any byte; read as UTF-8): episodes with
#    the counties "Cook" and "Doña Ana" (UTF-8) kept; one with the byte 0xff
#    and one with a lone 0xc3 left out (2); the placement of the 0xff one
#    dangling.
# 3. WIN1252 database: "Doña Ana" (0xf1 in WIN1252) is converted to UTF-8;
#    0x81, a byte WIN1252 does not define, has no UTF-8 form: left out (1).
# Every case was a failed pull before (failure: data or server).
source "$(dirname "$0")/lib.sh"

admin=$("$PG" conninfo "$CASA_PG_DIR")
PULL=$CASA_BUILD_DIR/casa-pull

# encoded_db NAME ENCODING: a database in ENCODING with the source schema.
encoded_db() {
	PGOPTIONS="-c client_min_messages=warning" psql "$admin" -XqAt -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1 ENCODING '$2' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0" \
		>/dev/null || fail "creating $1"
	local conn=${admin/dbname=casa/dbname=$1}
	psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/sql/schema.sql" >/dev/null ||
		fail "schema in $1"
	echo "$conn"
}
# pull CONN: casa-pull into $TEST_TMP/pull.json, which must succeed.
pull() {
	"$PULL" --db "$1" --as-of 2025-06-30 --timezone UTC >"$TEST_TMP/pull.json" \
		2>"$TEST_TMP/pull.log" || fail "the pull failed: $(cat "$TEST_TMP/pull.log")"
}
expect() { # jq-path expected
	local got
	got=$(json "$1" "$TEST_TMP/pull.json")
	[ "$got" = "$2" ] || fail "$1: got $got, want $2"
}
# once CONN: --once into $TEST_TMP/once; every JSON file must parse. Each
# database gets a state directory of its own (its release ledger is its own).
once() {
	rm -rf "$TEST_TMP/once" "$TEST_TMP/state"
	"$CASA_BUILD_DIR/casa-metricsd" --db "$1" --once --output "$TEST_TMP/once" --as-of 2025-06-30 \
		--timezone UTC --state-dir "$TEST_TMP/state" 2>"$TEST_TMP/once.log" ||
		fail "--once failed: $(cat "$TEST_TMP/once.log")"
	find "$TEST_TMP/once" -name '*.json' -exec jq -e . {} + >/dev/null ||
		fail "--once wrote invalid JSON"
}

# 1. Dates and timestamps out of range, in every table.
conn=$(encoded_db unreadable_dates UTF8)
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "loading case 1"
	SET TimeZone = 'UTC';
	INSERT INTO deid.children VALUES (1, '2010-01-01', 'female', 'white'),
		(2, '12000-05-01', 'male', 'black');
	INSERT INTO deid.episodes VALUES (10, 1, 'Cook', '2024-01-01', NULL, NULL),
		(11, 2, 'Cook', '2024-01-01', NULL, NULL),
		(12, 1, 'Lake', '2024-02-01', '10000-01-01', 'reunification');
	INSERT INTO deid.placements VALUES (100, 10, 'foster_home', NULL, '2024-01-01', NULL),
		(101, 10, 'group_home', NULL, '2024-03-01', '10000-01-01'),
		(102, 10, 'foster_home', NULL, '0100-01-01 BC', NULL);
	INSERT INTO deid.missing_episodes (missing_key, episode_key, went_missing_at, returned_at)
		VALUES (1000, 10, '2024-02-01 10:00+00', NULL),
		(1001, 10, '0044-03-15 10:00+00 BC', NULL),
		(1002, 10, '2024-03-01 10:00+00', '10000-01-01 00:00+00');
	INSERT INTO deid.advocate_assignments VALUES (1, 10, '2024-01-05', NULL),
		(2, 10, '2024-01-05', '10000-01-01');
	INSERT INTO deid.trafficking_identifications VALUES
		(1, 10, '2024-02-02 10:00+00', true, NULL),
		(2, 10, '2024-02-02 10:00+00', true, '10000-01-01 00:00+00');
	INSERT INTO deid.extract_batches VALUES (1, now());
SQL
pull "$conn"
expect .quality.drop_date_out_of_range 8
expect .quality.drop_dangling_parent 1
expect .quality.drop_text_invalid_encoding 0
expect .rows_read.children 2
expect .rows_read.episodes 3
expect .rows_read.placements 3
expect .rows_read.missing_episodes 3
expect .rows_read.advocate_assignments 2
expect .rows_read.trafficking_identifications 2
expect '[.rows_kept[]] | add' 6
expect '.county_names | join("|")' Cook
# Per table, independently: rows with any date or timestamp column BC or after 9999.
out_of_range() { echo "($1 < '0001-01-01' OR $1 >= '10000-01-01')"; }
psql "$conn" -XqAt -v ON_ERROR_STOP=1 >"$TEST_TMP/sql.txt" <<-SQL || fail "SQL count"
	SET TimeZone = 'UTC';
	SELECT 'children', count(*) FROM deid.children WHERE $(out_of_range birth_month);
	SELECT 'episodes', count(*) FROM deid.episodes
		WHERE $(out_of_range removal_date) OR $(out_of_range discharge_date);
	SELECT 'placements', count(*) FROM deid.placements
		WHERE $(out_of_range start_date) OR $(out_of_range end_date);
	SELECT 'missing_episodes', count(*) FROM deid.missing_episodes
		WHERE $(out_of_range went_missing_at) OR $(out_of_range returned_at)
		   OR $(out_of_range agency_informed_at) OR $(out_of_range reported_le_at)
		   OR $(out_of_range reported_ncmec_at) OR $(out_of_range screened_at);
	SELECT 'advocate_assignments', count(*) FROM deid.advocate_assignments
		WHERE $(out_of_range start_date) OR $(out_of_range end_date);
	SELECT 'trafficking_identifications', count(*) FROM deid.trafficking_identifications
		WHERE $(out_of_range identified_at) OR $(out_of_range reported_le_at);
SQL
total=0
while IFS='|' read -r table n; do
	dangling=0
	[ "$table" = episodes ] && dangling=1
	got=$(json ".rows_read.$table - .rows_kept.$table - $dangling" "$TEST_TMP/pull.json")
	[ "$got" = "$n" ] || fail "$table: $got rows left out, SQL counts $n out of range"
	total=$((total + n))
done <"$TEST_TMP/sql.txt"
[ "$total" = 8 ] || fail "SQL counts $total rows out of range, want 8"
# The log names the table and the column of the first, never the value.
grep -q 'deid.placements: 2 rows left out unread (drop_date_out_of_range), the first at line 2, column end_date' \
	"$TEST_TMP/pull.log" || fail "placements not logged: $(cat "$TEST_TMP/pull.log")"
if grep -Eq '10000|12000|0044|0100' "$TEST_TMP/pull.log"; then
	fail "a value in the log: $(cat "$TEST_TMP/pull.log")"
fi
once "$conn"
[ "$(json '.rules[] | select(.rule == "drop_date_out_of_range") | .count' "$TEST_TMP/once/quality.json")" = 8 ] ||
	fail "quality.json: drop_date_out_of_range"

# 2. SQL_ASCII: any byte is stored; the daemon reads text as UTF-8.
conn=$(encoded_db unreadable_ascii SQL_ASCII)
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "loading case 2"
	INSERT INTO deid.children VALUES (1, '2010-01-01', 'female', 'white');
	INSERT INTO deid.episodes VALUES (10, 1, 'Cook', '2024-01-01', NULL, NULL),
		(11, 1, convert_from('\x446f c3b1 6120 416e61'::bytea, 'SQL_ASCII'), '2024-01-01', NULL, NULL),
		(12, 1, convert_from('\x436f6f6bff'::bytea, 'SQL_ASCII'), '2024-01-01', NULL, NULL),
		(13, 1, convert_from('\x4c616b65c3'::bytea, 'SQL_ASCII'), '2024-01-01', NULL, NULL);
	INSERT INTO deid.placements VALUES (100, 12, 'foster_home', NULL, '2024-01-01', NULL);
	INSERT INTO deid.extract_batches VALUES (1, now());
SQL
pull "$conn"
expect .quality.drop_text_invalid_encoding 2
expect .quality.drop_dangling_parent 1
expect .rows_read.episodes 4
expect .rows_kept.episodes 2
expect '.county_names | join("|")' 'Cook|Doña Ana'
grep -q 'deid.episodes: 2 rows left out unread (drop_text_invalid_encoding), the first at line 3, column county' \
	"$TEST_TMP/pull.log" || fail "episodes not logged: $(cat "$TEST_TMP/pull.log")"
once "$conn"
[ "$(json '[.rules[] | select(.rule == "drop_text_invalid_encoding") | .count] | add' "$TEST_TMP/once/quality.json")" = 2 ] ||
	fail "quality.json: drop_text_invalid_encoding"
jq -r '.rows[].county' "$TEST_TMP/once/runaway_episodes_per_1000_days/year_by_county.json" |
	sort -u >"$TEST_TMP/counties.txt"
printf 'Cook\nDoña Ana\n' | diff - "$TEST_TMP/counties.txt" >&2 || fail "counties served"

# 3. WIN1252: converted to UTF-8 row by row; an undefined byte leaves its row out.
conn=$(encoded_db unreadable_win1252 WIN1252)
# This script is UTF-8: the server converts the literal to WIN1252.
PGCLIENTENCODING=UTF8 psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "case 3"
	INSERT INTO deid.children VALUES (1, '2010-01-01', 'female', 'white');
	INSERT INTO deid.episodes VALUES (10, 1, 'Cook', '2024-01-01', NULL, NULL),
		(11, 1, 'Doña Ana', '2024-01-01', NULL, NULL),
		(12, 1, convert_from('\x436f6f6b81'::bytea, 'SQL_ASCII'), '2024-01-01', NULL, NULL);
	INSERT INTO deid.extract_batches VALUES (1, now());
SQL
[ "$(psql "$conn" -XAt -c "SELECT encode(convert_to(county, 'WIN1252'), 'hex')
	FROM deid.episodes WHERE episode_key = 11")" = 446ff16120416e61 ] ||
	fail "Doña Ana is not stored in WIN1252"
pull "$conn"
expect .quality.drop_text_invalid_encoding 1
expect .rows_kept.episodes 2
expect '.county_names | join("|")' 'Cook|Doña Ana'
once "$conn"
echo "test_unreadable_rows: ok"
