#!/usr/bin/env bash
# Checks the issue-17 SQL (metrics17.sql) against the hand-worked cells of
# fixture.sql, by hand, in a sandbox cluster:
#
#   scripts/pg start /tmp/pg-g17
#   tests/crosscheck/check17.sh /tmp/pg-g17
#
# In database xcheck17 (re-created, dropped at the end unless KEEP=1):
#   1. metrics.sql (issue-17 rules off) on deid against crosscheck.expected;
#   2. metrics17.sql on deid against the same cells (none of them moves under
#      the issue-17 rules) and without the trafficking metrics (deid has no
#      trafficking_identifications table);
#   3. metrics17.sql on deid17 against crosscheck.expected17.
# Exit status 0 when every check passes.
set -euo pipefail

pgdir=${1:?usage: check17.sh PGDIR (a cluster started with scripts/pg start PGDIR)}
root=$(cd "$(dirname "$0")/../.." && pwd)
xc=$root/tests/crosscheck
admin=$("$root/scripts/pg" conninfo "$pgdir")
db=xcheck17
conn=${admin/dbname=casa/dbname=$db}

PGOPTIONS="-c client_min_messages=warning" psql "$admin" -XqAt -v ON_ERROR_STOP=1 \
	-c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db" >/dev/null
psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$xc/fixture.sql" >/dev/null

metrics() { # metrics FILE SCHEMA [psql options...]
	PGOPTIONS="-c client_min_messages=warning -c TimeZone=UTC" psql "$conn" -Xq \
		-v ON_ERROR_STOP=1 -v as_of=2025-06-30 -v fy_start=10 -v window_s=259200 \
		-v schema="$2" "${@:3}" -f "$xc/$1" >/dev/null
}

failed=0
check() { # check LABEL EXPECTED CELLS: every mismatching cell, then "mismatches: N"
	local report
	report=$(psql "$conn" -X -v ON_ERROR_STOP=1 -v expected="$2" -v cells="$3" \
		-f "$xc/check_expected.sql")
	[[ $report == *"mismatches: 0" ]] && { echo "ok: $1"; return; }
	printf '%s\n' "$report"
	echo "FAIL: $1 differs from the hand-worked cells" >&2
	failed=1
}

metrics metrics.sql deid -v issue17=off
check "metrics.sql, deid, crosscheck.expected" crosscheck.expected crosscheck.sql_cells

metrics metrics17.sql deid
check "metrics17.sql, deid, crosscheck.expected" crosscheck.expected crosscheck.sql_cells17
trafficking=$(psql "$conn" -XAt -c "select count(*) from crosscheck.sql_cells17
	where metric in ('trafficking_identified_per_1000_served', 'identified_after_missing_pct',
	                 'trafficking_reported_le_24h_pct')")
if [ "$trafficking" = 0 ]; then
	echo "ok: metrics17.sql, deid: no trafficking metric without the table"
else
	echo "FAIL: $trafficking trafficking cells without a trafficking_identifications table" >&2
	failed=1
fi

metrics metrics17.sql deid17
check "metrics17.sql, deid17, crosscheck.expected17" crosscheck.expected17 crosscheck.sql_cells17

if [ "${KEEP:-0}" != 1 ]; then
	psql "$admin" -XqAt -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null
fi
exit $failed
