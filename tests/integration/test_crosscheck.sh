#!/usr/bin/env bash
# The cross-check: the C engine (casa-dump: source -> model -> metrics, raw
# cells) against the independent SQL implementation (tests/crosscheck/
# metrics.sql) on synthetic data from casa-gen, every cell of every table.
# Each case gets its own database xcheck_<name> in the sandbox $CASA_PG_DIR.
# Fails when any cell differs; prints the first 20 and a count per metric.
#
# Env: CASA_SOURCE_DIR, CASA_BUILD_DIR, CASA_PG_DIR (set by CTest).
# XCHECK_CASES="name ..." runs only the named cases; XCHECK_KEEP=1 keeps the
# databases for inspection.
set -euo pipefail

: "${CASA_SOURCE_DIR:?}" "${CASA_BUILD_DIR:?}" "${CASA_PG_DIR:?}"
PG="$CASA_SOURCE_DIR/scripts/pg"
XC="$CASA_SOURCE_DIR/tests/crosscheck"
DUMP="$CASA_BUILD_DIR/casa-dump"
export CASA_GEN="${CASA_GEN:-$CASA_BUILD_DIR/casa-gen}"
AS_OF=2025-06-30
WINDOW_S=259200 # SPEC §4 default screening window, 72 h
TMP=$(mktemp -d "${TMPDIR:-/tmp}/casa-xcheck.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

[ -x "$DUMP" ] || { echo "FAIL: $DUMP not built" >&2; exit 1; }
[ -x "$CASA_GEN" ] || { echo "FAIL: $CASA_GEN not built" >&2; exit 1; }
admin=$("$PG" conninfo "$CASA_PG_DIR")

# seed_case NAME TIMEZONE FY_START SCHEMA METRICS_AS_OF [casa-gen options...]
#   or      NAME TIMEZONE FY_START deid METRICS_AS_OF random CHILDREN
# The data is generated as of $AS_OF; the metrics are computed as of
# METRICS_AS_OF (an earlier day exercises every "after as_of" rule).
# Seeding runs one case at a time (sql/roles.sql alters one cluster-wide
# role); check_case, nearly all of the time (the SQL inside PostgreSQL, one
# backend each), runs two cases at a time.
seed_case() {
	local name=$1 schema=$4
	shift 5
	local db=xcheck_$name
	local conn=${admin/dbname=casa/dbname=$db}
	PGOPTIONS="-c client_min_messages=warning" psql "$admin" -XqAt -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
	if [ "$1" = random ]; then
		# tests/crosscheck/random_source.sql instead of casa-gen ($2 children)
		{ psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/sql/schema.sql" &&
			psql "$conn" -Xq -v ON_ERROR_STOP=1 -v n="$2" -f "$XC/random_source.sql"; } \
			>"$TMP/seed-$name.log" 2>&1
	else
		"$CASA_SOURCE_DIR/scripts/seed" "$conn" --as-of "$AS_OF" --schema "$schema" "$@" \
			>"$TMP/seed-$name.log" 2>&1
	fi || {
		cat "$TMP/seed-$name.log" >&2
		echo "FAIL: seeding $name" >&2
		return 1
	}
}

# check_case, the same arguments: the engine against the SQL on that data.
check_case() {
	local name=$1 tz=$2 fy=$3 schema=$4 as_of=$5
	shift 5
	local db=xcheck_$name
	local conn=${admin/dbname=casa/dbname=$db}
	echo "== case $name: tz=$tz fy_start=$fy schema=$schema as_of=$as_of casa-gen $*"
	"$DUMP" --db "$conn" --as-of "$as_of" --timezone "$tz" --fy-start "$fy" \
		--schema "$schema" --window-s "$WINDOW_S" >"$TMP/c-$name.csv" || {
		echo "FAIL: casa-dump $name" >&2
		return 1
	}

	PGOPTIONS="-c client_min_messages=warning -c TimeZone=$tz" psql "$conn" -Xq \
		-v ON_ERROR_STOP=1 -v as_of="$as_of" -v fy_start="$fy" -v window_s="$WINDOW_S" \
		-v schema="$schema" -f "$XC/metrics.sql" >/dev/null
	psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-SQL
		drop table if exists crosscheck.c_cells;
		create table crosscheck.c_cells (metric text, period_type text, dim text,
		    period text, grp text, numerator bigint, denominator bigint, quantile_2s bigint,
		    children bigint, expected double precision);
		\\copy crosscheck.c_cells from '$TMP/c-$name.csv' with (format csv, header true, force_not_null (grp))
	SQL
	psql "$conn" -X -v ON_ERROR_STOP=1 -f "$XC/compare.sql" >"$TMP/diff-$name.txt"
	cat "$TMP/diff-$name.txt"
	local differences
	differences=$(sed -n 's/^ *differences: \([0-9]*\).*/\1/p' "$TMP/diff-$name.txt")
	if [ "${XCHECK_KEEP:-0}" != 1 ]; then
		psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
	fi
	[ "$differences" = 0 ] || { echo "FAIL: case $name: $differences differing cells" >&2; return 1; }
	echo "ok: case $name"
}

# name tz fy_start schema metrics_as_of casa-gen options
cases=(
	"s1 UTC 10 deid $AS_OF --children 2000 --seed 1"
	"s2 UTC 10 deid $AS_OF --children 2000 --seed 2"
	"s3 UTC 10 deid $AS_OF --children 2000 --seed 3"
	"big UTC 10 deid $AS_OF --children 5000 --seed 4 --small-counties"
	"chicago America/Chicago 7 deid $AS_OF --children 2000 --seed 5"
	"bad UTC 10 deid_bad $AS_OF --children 2000 --seed 6 --bad-rows"
	# leap day, calendar fiscal year, a zone east of UTC with a half-hour offset
	"early Asia/Kolkata 1 deid 2024-02-29 --children 1000 --seed 7"
	# a second source independent of casa-gen (fractional seconds, overlaps)
	"random UTC 10 deid 2023-03-15 random 1500"
)

failed=0
names=()
for c in "${cases[@]}"; do
	read -r -a words <<<"$c"
	name=${words[0]}
	if [ -n "${XCHECK_CASES:-}" ] && [[ " $XCHECK_CASES " != *" $name "* ]]; then
		continue
	fi
	seed_case "${words[@]}" || { failed=1; continue; }
	names+=("$name")
	# at most two checks at a time: wait for one to end before the third
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
	# set -e holds in the subshell: a failing check ends it before the mark
	(check_case "${words[@]}" >"$TMP/out-$name" 2>&1; touch "$TMP/ok-$name") &
done
wait
for name in "${names[@]}"; do
	cat "$TMP/out-$name"
	[ -e "$TMP/ok-$name" ] || { echo "FAIL: case $name" >&2; failed=1; }
done
exit $failed
