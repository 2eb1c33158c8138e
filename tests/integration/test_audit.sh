#!/usr/bin/env bash
# The attacker's audit (SPEC §5) of one release on the real pipeline:
# generated data in a real PostgreSQL -> source -> model -> metrics ->
# release_apply (no ledger) -> disclosure_protect, then a linear program per
# component of secret counts over every relation of the release (GLPK,
# tests/audit/). Exit 0 means every secret count keeps at least k possible
# values, no published cell breaks the primary rule or sits in a group too
# small to hide in, and no empty cell outside such a group is hidden.
# Four data sets: very small counties at k = 11 (October fiscal year), the
# floor k = 5, small counties with a fiscal year that does not start a
# quarter (September, as in Texas), and 20,000 children with the defaults.
# Labelled `slow` in CTest (a few minutes): the suite runs it once.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db audit_test)
failed=()
run_audit() { # label min_cell fy_start_month generator-options...
	local label=$1 k=$2 fy=$3
	shift 3
	CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" \
		--as-of 2025-06-30 "$@" >/dev/null 2>&1 || fail "seeding ($label)"
	local report status=0
	report=$("$CASA_BUILD_DIR/casa-audit" --db "$conn" --as-of 2025-06-30 --min-cell "$k" \
		--fy-start-month "$fy" --verbose 2>"$TEST_TMP/audit.err") || status=$?
	# 77: built without GLPK; casa-audit said which package is missing.
	[ $status -eq 77 ] && { cat "$TEST_TMP/audit.err" >&2; exit 77; }
	echo "audit $label: $report"
	if [ $status -ne 0 ]; then
		# identities of the failing counts only, never a value
		grep '^audit:' "$TEST_TMP/audit.err" | head -n 40 >&2 || true
		grep -v '^audit:' "$TEST_TMP/audit.err" >&2 || true
		[ -n "$report" ] || fail "audit ($label) did not run"
		failed+=("$label") # the other data sets still run: every figure in one go
		return
	fi
	# The audit must have had something to attack.
	[ "$(jq '.suppressed_primary > 0 and .suppressed_secondary > 0 and .unknowns > 0 and
		.links > 0 and .nonempty > 0 and .lp_solves > 0' <<<"$report")" = true ] ||
		fail "audit ($label): nothing to attack, the audit proved nothing: $report"
}
run_audit "small counties, k 11" 11 10 --children 1500 --years 2 --seed 3 --small-counties
run_audit "k 5" 5 10 --children 1500 --years 2 --seed 4
run_audit "small counties, September fiscal year" 11 9 --children 1500 --years 2 --seed 5 \
	--small-counties
run_audit "20,000 children" 11 10 --children 20000 --small-counties --seed 1
[ ${#failed[@]} -eq 0 ] || fail "the audit found failures: ${failed[*]}"
echo "test_audit: ok"
