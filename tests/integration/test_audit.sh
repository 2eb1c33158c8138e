#!/usr/bin/env bash
# The attacker's audit (SPEC §5) on the real pipeline: generated data in a
# real PostgreSQL -> source -> model -> metrics -> disclosure, then a linear
# program per suppressed count over every published relation (GLPK,
# tests/audit/). Exit 0 means no suppressed numerator or denominator can be
# narrowed to fewer than k possible values. Three data sets: very small
# counties at the default k = 11, the floor k = 5 on ordinary counties with
# suppression_year = year (blocks of calendar years instead of fiscal years),
# and a fiscal year that does not start a quarter (September, as in Texas).
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db audit_test)
run_audit() { # seed min_cell fy_start_month suppression_year generator-options...
	local seed=$1 k=$2 fy=$3 year=$4
	shift 4
	CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 1500 \
		--years 2 --seed "$seed" --as-of 2025-06-30 "$@" >/dev/null 2>&1 || fail "seeding"
	local report status=0
	report=$("$CASA_BUILD_DIR/casa-audit" --db "$conn" --as-of 2025-06-30 --min-cell "$k" \
		--fy-start-month "$fy" --suppression-year "$year") || status=$?
	# 77: built without GLPK; casa-audit said which package is missing.
	[ $status -eq 77 ] && exit 77
	[ $status -eq 0 ] ||
		fail "audit (seed $seed, k $k, fiscal year from month $fy, $year blocks) found exposed cells: $report"
	echo "audit seed $seed k $k fiscal year from month $fy, $year blocks: $report"
	# The audit must have had something to attack.
	[ "$(jq '.suppressed_primary > 0 and .suppressed_secondary > 0 and .lp_solves > 0' <<<"$report")" = true ] ||
		fail "nothing suppressed: the audit proved nothing"
}
run_audit 3 11 10 fiscal_year --small-counties
run_audit 4 5 10 year
run_audit 5 11 9 fiscal_year --small-counties
echo "test_audit: ok"
