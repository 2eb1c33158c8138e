#!/usr/bin/env bash
# Sanity harness for the cross-check: a handful of hand-made rows
# (tests/crosscheck/fixture.sql) whose cells are worked out by hand. Checks
# the SQL implementation (tests/crosscheck/metrics.sql) against them, and the
# C engine too (casa-dump) when it is built. Runs in database xcheck_fixture
# of the sandbox $CASA_PG_DIR.
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
PGOPTIONS="-c client_min_messages=warning -c TimeZone=UTC" psql "$conn" -Xq -v ON_ERROR_STOP=1 \
	-v as_of=$AS_OF -v fy_start=10 -v window_s=259200 -v schema=deid \
	-f "$XC/metrics.sql" >/dev/null

failed=0
check() { # check LABEL TABLE
	psql "$conn" -X -v ON_ERROR_STOP=1 -v cells="$2" -f "$XC/check_expected.sql" >"$TMP/$1.txt"
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
check sql crosscheck.sql_cells

if [ -x "$DUMP" ]; then
	"$DUMP" --db "$conn" --as-of $AS_OF --timezone UTC --fy-start 10 --schema deid \
		>"$TMP/c.csv" || { echo "FAIL: casa-dump" >&2; exit 1; }
	psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-SQL
		drop table if exists crosscheck.c_cells;
		create table crosscheck.c_cells (metric text, period_type text, dim text,
		    period text, grp text, numerator bigint, denominator bigint, quantile_2s bigint,
		    children bigint, expected double precision);
		\\copy crosscheck.c_cells from '$TMP/c.csv' with (format csv, header true, force_not_null (grp))
	SQL
	check c crosscheck.c_cells
	# and the two implementations against each other on every cell
	psql "$conn" -X -v ON_ERROR_STOP=1 -f "$XC/compare.sql" >"$TMP/compare.txt"
	if grep -q '^ *differences: 0$' "$TMP/compare.txt"; then
		echo "ok: C and SQL agree on every cell of the fixture"
	else
		cat "$TMP/compare.txt"
		echo "FAIL: C and SQL differ on the fixture" >&2
		failed=1
	fi
else
	echo "skip: casa-dump not built; checked the SQL side only"
fi
psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
exit $failed
