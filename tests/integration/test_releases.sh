#!/usr/bin/env bash
# Releases (SPEC §5, issue 13): an attacker keeps every release. On generated
# data with small counties, through the real binary and a real PostgreSQL:
#   R1 daily releases across the day the first quarter of 2025 settles: no
#      published breakdown cell moves by 1..k-1, no settled cell changes;
#   R2 a late row (one missing episode, March 2024) and a refresh: every
#      settled cell is served frozen; the same comparison without the ledger
#      finds the one child (the check can fail);
#   R3 a revision (revise = true) publishes no difference of 1..k-1 and does
#      change something (it is not a no-op);
#   R4 the daemon: breakdowns of unsettled periods are absent, totals of
#      unsettled periods are provisional, month x county answers 404 naming
#      the publish setting, /api/v1/disclosure serves counts per table;
#   R5 the ledger: a corrupted ledger.bin stops the start with a message
#      naming it; a lost one is logged loudly.
# release_diff.py holds the attacker's comparison.
source "$(dirname "$0")/lib.sh"

k=11
conn=$(fresh_db releases)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 5000 \
	--small-counties --seed 7 --as-of 2025-06-30 >/dev/null 2>&1 || fail "seed"
ro_conn=${conn/user=casa_admin/user=casa_metricsd}
diff_py=$CASA_SOURCE_DIR/tests/integration/release_diff.py
state=$TEST_TMP/state

release() { # AS_OF OUT [flags...]: one --once release into OUT with the ledger in $state
	local as_of=$1 out=$2
	shift 2
	"$CASA_BUILD_DIR/casa-metricsd" --once --output "$out" --db "$ro_conn" --as-of "$as_of" \
		--timezone UTC --state-dir "$state" "$@" >>"$TEST_TMP/once.log" 2>&1 ||
		{ tail -5 "$TEST_TMP/once.log" >&2; fail "release $as_of"; }
}

step() { echo "--- $*"; }

##############################################################################
step "R1 daily releases across a settle day"
# Q1 2025 ends 2025-03-31; its breakdowns settle 30 days later, plus the 7
# days of returned_within_7_days_pct that the runaway counts share: from
# 2025-05-07. 2025-05-05 .. 2025-05-09 crosses it.
previous=""
for day in 05 06 07 08 09; do
	release "2025-05-$day" "$TEST_TMP/r-$day"
	if [ -n "$previous" ]; then
		python3 "$diff_py" "$previous" "$TEST_TMP/r-$day" $k ||
			fail "releases $previous and 2025-05-$day differ by a few children"
	fi
	previous=$TEST_TMP/r-$day
done
q1=runaway_episodes_per_1000_days/quarter_by_county.json
[ "$(jq '[.rows[] | select(.period == "2025-Q1")] | length' "$TEST_TMP/r-05/$q1")" = 0 ] ||
	fail "2025-Q1 breakdowns published before they settled"
[ "$(jq '[.rows[] | select(.period == "2025-Q1")] | length' "$TEST_TMP/r-09/$q1")" -gt 0 ] ||
	fail "2025-Q1 breakdowns not published once settled"
[ -s "$state/ledger.bin" ] || fail "no ledger written"

##############################################################################
step "R2 a late row for March 2024"
cp -r "$state" "$TEST_TMP/state-before-late"
psql "$conn" -Xq -v ON_ERROR_STOP=1 <<'SQL'
BEGIN;
INSERT INTO deid.missing_episodes (missing_key, episode_key, went_missing_at, returned_at,
                                   reported_le_at, screened_at, screen_result)
SELECT 999000001, e.episode_key, '2024-03-15 10:00+00', '2024-03-18 10:00+00',
       '2024-03-15 12:00+00', '2024-03-19 09:00+00', 'positive'
FROM deid.episodes e
WHERE e.removal_date < '2024-01-01' AND (e.discharge_date IS NULL OR e.discharge_date > '2024-06-01')
ORDER BY e.episode_key LIMIT 1;
INSERT INTO deid.extract_batches SELECT max(batch_id) + 1, now() FROM deid.extract_batches;
COMMIT;
SQL
release 2025-05-09 "$TEST_TMP/late"
python3 "$diff_py" "$TEST_TMP/r-09" "$TEST_TMP/late" $k ||
	fail "the late row shows in the release after it"
# The same release without the ledger shows the child: the check can fail.
state_saved=$state
state=$TEST_TMP/no-ledger
release 2025-05-09 "$TEST_TMP/late-no-ledger"
state=$state_saved
if python3 "$diff_py" "$TEST_TMP/r-09" "$TEST_TMP/late-no-ledger" $k >"$TEST_TMP/control.txt"; then
	fail "without the ledger the late row should show: the comparison cannot fail"
fi
grep -q "differ by 1..k-1" "$TEST_TMP/control.txt" || fail "control: $(cat "$TEST_TMP/control.txt")"

##############################################################################
step "R3 a revision"
release 2025-05-09 "$TEST_TMP/revised" --revise true
grep -q "a revision of the frozen periods" "$TEST_TMP/once.log" || fail "the revision is not logged"
python3 "$diff_py" "$TEST_TMP/late" "$TEST_TMP/revised" $k --revision ||
	fail "the revision publishes a difference of a few children"
if python3 "$diff_py" "$TEST_TMP/late" "$TEST_TMP/revised" $k >/dev/null; then
	fail "the revision changed no settled cell: the late row was not taken in"
fi

##############################################################################
step "R4 the daemon serves the plan"
port=$(free_port)
start_daemon "$port" --db "$ro_conn" --as-of 2025-05-09 --timezone UTC --state-dir "$state" \
	--refresh 3600
base=http://127.0.0.1:$port/api/v1
curl -fsS "$base/metrics/runaway_episodes_per_1000_days?period_type=quarter&by=advocate" \
	-o "$TEST_TMP/adv.json"
# 2025-Q2 has not closed: no breakdown row; 2025-Q1 has settled: rows
json '[.rows[] | select(.period == "2025-Q2")] | length == 0' "$TEST_TMP/adv.json" >/dev/null
json '[.rows[] | select(.period == "2025-Q1")] | length == 2' "$TEST_TMP/adv.json" >/dev/null
json '.disclosure.publish == "month:total quarter:all year:all fiscal_year:all" and .disclosure.settle_days == 30' \
	"$TEST_TMP/adv.json" >/dev/null
curl -fsS "$base/metrics/runaway_episodes_per_1000_days?period_type=quarter" -o "$TEST_TMP/tot.json"
json '[.rows[] | select(.period == "2025-Q2")][0].provisional == true' "$TEST_TMP/tot.json" >/dev/null
json '[.rows[] | select(.period == "2024-Q4")][0].provisional == false' "$TEST_TMP/tot.json" >/dev/null
code=$(curl -sS -o "$TEST_TMP/404.json" -w '%{http_code}' \
	"$base/metrics/runaway_episodes_per_1000_days?period_type=month&by=county")
[ "$code" = 404 ] || fail "month x county answered $code"
json '.error.message | test("publish")' "$TEST_TMP/404.json" >/dev/null
curl -fsS "$base/disclosure" -o "$TEST_TMP/disclosure.json"
json '.totals.safe >= .totals.safe_published and .totals.cells > 0 and (.tables | length) > 100' \
	"$TEST_TMP/disclosure.json" >/dev/null
json '[.tables[] | select(.metric == "runaway_episodes_per_1000_days" and .period_type == "quarter" and .by == "advocate")][0] | .safe_published <= .safe' \
	"$TEST_TMP/disclosure.json" >/dev/null
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true

##############################################################################
step "R5 a corrupted ledger stops the start; a lost one is logged"
cp "$state/ledger.bin" "$TEST_TMP/ledger.good"
printf 'X' | dd of="$state/ledger.bin" bs=1 seek=100 conv=notrunc 2>/dev/null
if "$CASA_BUILD_DIR/casa-metricsd" --db "$ro_conn" --listen "127.0.0.1:$(free_port)" \
	--as-of 2025-05-09 --timezone UTC --state-dir "$state" >"$TEST_TMP/corrupt.log" 2>&1; then
	fail "the daemon started on a corrupted ledger"
fi
grep -q "ledger.bin is corrupted" "$TEST_TMP/corrupt.log" || fail "$(cat "$TEST_TMP/corrupt.log")"
rm "$state/ledger.bin"
port=$(free_port)
start_daemon "$port" --db "$ro_conn" --as-of 2025-05-09 --timezone UTC --state-dir "$state" \
	--refresh 3600
grep -q "no ledger.bin" "$TEST_TMP/daemon-$port.log" || fail "a lost ledger is not logged"
kill "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
echo "test_releases: ok"
