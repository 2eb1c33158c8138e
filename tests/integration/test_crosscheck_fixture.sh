#!/usr/bin/env bash
# Sanity harness for the cross-check: hand-made rows (tests/crosscheck/
# fixture.sql) whose cells are worked out by hand, in two sources: deid (the
# sixteen metrics of SPEC §4, crosscheck.expected; no
# trafficking_identifications table, so no trafficking metric) and deid17
# (issue 17, crosscheck.expected17). For each, the SQL implementation
# (tests/crosscheck/metrics.sql) and the C engine (casa-dump, when built)
# are checked against the hand-worked cells, then against each other on
# every cell. Runs in database xcheck_fixture of the sandbox $CASA_PG_DIR.
set -euo pipefail

: "${CASA_SOURCE_DIR:?}" "${CASA_PG_DIR:?}"
PG="$CASA_SOURCE_DIR/scripts/pg"
XC="$CASA_SOURCE_DIR/tests/crosscheck"
DUMP="${CASA_BUILD_DIR:-/nonexistent}/casa-dump"
AS_OF=2025-06-30
TMP=$(mktemp -d "${TMPDIR:-/tmp}/casa-xfixture.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

admin=$("$PG" conninfo "$CASA_PG_DIR")
db=xcheck_fixture
conn=${admin/dbname=casa/dbname=$db}
PGOPTIONS="-c client_min_messages=warning" psql "$admin" -XqAt -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$XC/fixture.sql" >/dev/null

failed=0
check() { # check LABEL EXPECTED CELLS
	psql "$conn" -X -v ON_ERROR_STOP=1 -v expected="$2" -v cells="$3" \
		-f "$XC/check_expected.sql" >"$TMP/$1.txt"
	local n
	n=$(sed -n 's/^ *mismatches: \([0-9]*\).*/\1/p' "$TMP/$1.txt")
	if [ "$n" = 0 ]; then
		echo "ok: $1 matches every hand-worked cell"
	else
		cat "$TMP/$1.txt"
		echo "FAIL: $1: ${n:-?} cells differ from the hand-worked values" >&2
		failed=1
	fi
}

# trafficking CELLS: the number of cells of the three trafficking metrics.
trafficking() {
	psql "$conn" -XAt -c "select count(*) from $1 where metric in
		('trafficking_identified_per_1000_served', 'identified_after_missing_pct',
		 'trafficking_reported_le_24h_pct')"
}

# fixture SCHEMA EXPECTED: both implementations against the hand-worked cells
# of SCHEMA, and against each other.
fixture() {
	local schema=$1 expected=$2
	PGOPTIONS="-c client_min_messages=warning -c TimeZone=UTC" psql "$conn" -Xq \
		-v ON_ERROR_STOP=1 -v as_of=$AS_OF -v fy_start=10 -v window_s=259200 \
		-v schema="$schema" -f "$XC/metrics.sql" >/dev/null
	check "sql-$schema" "$expected" crosscheck.sql_cells
	if [ ! -x "$DUMP" ]; then
		echo "skip: casa-dump not built; checked the SQL side of $schema only"
		return
	fi
	"$DUMP" --db "$conn" --as-of $AS_OF --timezone UTC --fy-start 10 --schema "$schema" \
		>"$TMP/c-$schema.csv" || { echo "FAIL: casa-dump $schema" >&2; failed=1; return; }
	PGOPTIONS="-c client_min_messages=warning" psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-SQL
		drop table if exists crosscheck.c_cells;
		create table crosscheck.c_cells (metric text, period_type text, dim text,
		    period text, grp text, numerator bigint, denominator bigint, quantile_2s bigint,
		    children bigint, expected double precision);
		\\copy crosscheck.c_cells from '$TMP/c-$schema.csv' with (format csv, header true, force_not_null (grp))
	SQL
	check "c-$schema" "$expected" crosscheck.c_cells
	# and the two implementations against each other on every cell
	PGOPTIONS="-c client_min_messages=warning" psql "$conn" -X -v ON_ERROR_STOP=1 \
		-f "$XC/compare.sql" >"$TMP/compare-$schema.txt"
	if grep -q '^ *differences: 0$' "$TMP/compare-$schema.txt"; then
		echo "ok: C and SQL agree on every cell of $schema"
	else
		cat "$TMP/compare-$schema.txt"
		echo "FAIL: C and SQL differ on $schema" >&2
		failed=1
	fi
}

fixture deid crosscheck.expected
# deid has no trafficking_identifications table: no trafficking metric.
for cells in crosscheck.sql_cells crosscheck.c_cells; do
	[ "$cells" = crosscheck.c_cells ] && [ ! -x "$DUMP" ] && continue
	n=$(trafficking "$cells")
	if [ "$n" = 0 ]; then
		echo "ok: $cells of deid: no trafficking metric without the table"
	else
		echo "FAIL: $cells of deid: $n trafficking cells without the table" >&2
		failed=1
	fi
done
fixture deid17 crosscheck.expected17
n=$(trafficking crosscheck.sql_cells)
[ "$n" -gt 0 ] || { echo "FAIL: deid17: no trafficking cell" >&2; failed=1; }

psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
exit $failed
