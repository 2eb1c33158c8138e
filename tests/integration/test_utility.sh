#!/usr/bin/env bash
# What protection hides, as a regression test (issue 13, "Done when": utility
# thresholds in tests). Generated data like the sandbox's `casa` database
# (20,000 children, many tiny counties, seed 1, no identifications, as of
# 2025-06-30), the defaults (k = 11, October fiscal year, the default
# publication plan), then bench_disclosure --json: the share of safe cells
# (k children or more, no count under the primary rule) that are published.
#
# The floors guard regressions: each sits a little below the figure measured
# when it was set (docs/privacy.md, "What protection costs (measured)"), so
# that a change to the engine that hides more than it did fails here. They
# are not the issue's goals; where a goal is not met the comment says by how
# much. Raise a floor when the engine gets better (and the audit,
# test_audit.sh, still finds 0 failures); never lower one to pass.
# UTILITY_FLOOR_BUMP=N (tests only) adds N points to every floor: with N
# above the margins below, the test must fail (checked by hand when set).
# Labelled `slow` in CTest (seeding 20,000 children): the suite runs it once.
source "$(dirname "$0")/lib.sh"

bench="$CASA_BUILD_DIR/bench_disclosure"
[ -x "$bench" ] || fail "bench_disclosure not built ($bench)"

conn=$(fresh_db utility_test)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" \
	--as-of 2025-06-30 --children 20000 --small-counties --seed 1 --no-identifications \
	>/dev/null 2>&1 || fail "seeding"
report=$("$bench" --db "$conn" --as-of 2025-06-30 --timezone UTC --json 2>"$TEST_TMP/bench.err") ||
	{ cat "$TEST_TMP/bench.err" >&2; fail "bench_disclosure"; }
echo "$report" | jq -c '{seconds, unprotected, goals}'

bump=${UTILITY_FLOOR_BUMP:-0}
failed=0
# floor JQ-PATH PERCENT WHAT: the published share at PATH (an object with
# published and safe) must be at least PERCENT + bump.
floor() {
	local path=$1 min=$2 what=$3 got
	got=$(jq -r "$path | if .safe > 0 then (1000 * .published / .safe | floor) / 10 else 100 end" \
		<<<"$report") || fail "no $path in the report"
	[ -n "$got" ] && [ "$got" != null ] || fail "no $path in the report"
	if awk -v got="$got" -v min="$min" -v bump="$bump" 'BEGIN { exit !(got >= min + bump) }'; then
		echo "ok   $what: $got% (floor $((min + bump))%)"
	else
		echo "FAIL $what: $got% published, below the floor of $((min + bump))%" >&2
		failed=1
	fi
}

# Every count the engine hides has k - 1 of room by its own proof.
[ "$(jq .unprotected <<<"$report")" = 0 ] || fail "unprotected counts: $(jq .unprotected <<<"$report")"
# The data must have something to protect, or the floors prove nothing.
[ "$(jq '.primary > 1000 and .secondary > 1000 and .goals.totals.safe > 1000' <<<"$report")" = true ] ||
	fail "nothing to protect: $(jq -c '{primary, secondary, goals}' <<<"$report")"

# Measured 92.9% (1399 / 1506; 88.5% before the last resort waited for the
# other secrets and the chain's second level was lifted); goal 100% (a
# total hidden only when unsafe).
floor .goals.totals 91 "totals, every metric and period type"
# Measured 70.2% (132 / 188; 66.0% before partners were chosen as the
# cheapest cover); goal 90%. Tiny sex and age groups cap these
# (docs/privacy.md explains why 90% cannot be met at 20,000 children).
floor .goals.advocate_sex_age_quarter 68 "runaway rate by advocate, sex, age band, quarters"
# Measured 55.1% (27 / 49; 51.0% before); goal 90%.
floor .goals.advocate_sex_age_year 53 "runaway rate by advocate, sex, age band, calendar years"
# Measured 49.0% (24 / 49; 42.9% before); goal 90%.
floor .goals.advocate_sex_age_fy 46 "runaway rate by advocate, sex, age band, fiscal years"
# Measured 68.2% (602 / 883; 60.4% before); goal 70%.
floor .goals.runaway_breakdowns 66 "runaway rate, every breakdown, quarter and longer"
# The three-level chain of the trafficking screens (positive <= screened <=
# returned) is what protection costs most; its tables (no goal of their own):
# measured 36.0% (191 / 530) and 8.4% (13 / 153) of the breakdown cells, and
# 60.6% (376 / 620) of days_missing_median's (27.0%, 167 / 620, before the
# chain's second level was lifted by a star of the returned count; 27.7%,
# 5.9% and 56.3% before partners were chosen as the cheapest cover).
floor .metrics.screened_after_return_pct.breakdowns 34 "screened_after_return_pct breakdowns"
floor .metrics.screened_positive_pct.breakdowns 7 "screened_positive_pct breakdowns"
floor .metrics.days_missing_median.breakdowns 58 "days_missing_median breakdowns"
floor .metrics.days_missing_p90.breakdowns 58 "days_missing_p90 breakdowns"
# returned_within_7_days_pct shares the runaway count (its denominator):
# measured 56.8% (234 / 412; 63.3%, 261 / 412, before the cheapest cover:
# a tiny county's quarter now often takes one large county as its partner,
# whose runaway count is this table's denominator).
floor .metrics.returned_within_7_days_pct.breakdowns 55 "returned_within_7_days_pct breakdowns"

[ $failed -eq 0 ] || fail "published shares below their floors"
echo "test_utility: ok"
