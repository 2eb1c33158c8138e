#!/usr/bin/env bash
# Differential-privacy mode end to end (SPEC §5): the API states the mode and
# epsilon; counts carry noise; the noise is a deterministic function of the
# secret key in the state directory, the cell and its true count, so polling
# and restarts give the same numbers (nothing to average away) while another
# key gives other numbers.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db dp_test)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 3000 \
	--seed 21 --as-of 2025-06-30 >/dev/null 2>&1 || fail "seeding"
table="api/v1/metrics/runaway_episodes_per_1000_days?period_type=year"
common=(--db "$conn" --as-of 2025-06-30 --timezone UTC --refresh 3600)

# The true counts, from the raw cells of the test-only dump tool (the daemon
# itself never publishes them): the rows of the yearly total.
"$CASA_BUILD_DIR/casa-dump" --db "$conn" --as-of 2025-06-30 --timezone UTC >"$TEST_TMP/raw.csv" ||
	fail "casa-dump"
grep '^runaway_episodes_per_1000_days,year,total,' "$TEST_TMP/raw.csv" |
	jq -R -s '{rows: [split("\n")[] | select(length > 0) | split(",") |
	  {period: .[3], numerator: (.[5] | tonumber), denominator: (.[6] | tonumber)}]}' \
	>"$TEST_TMP/true.json"
[ "$(jq '.rows | length' "$TEST_TMP/true.json")" -ge 5 ] || fail "expected several years of data"
port=$(free_port)
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-a" --disclosure-mode dp \
	--dp-epsilon 1000
curl -fsS "http://127.0.0.1:$port/$table" -o "$TEST_TMP/dp1.json"
curl -fsS "http://127.0.0.1:$port/$table" -o "$TEST_TMP/dp2.json"
[ "$(json '.disclosure.mode' "$TEST_TMP/dp1.json")" = dp ] || fail "mode not stated"
[ "$(json '.disclosure.epsilon' "$TEST_TMP/dp1.json")" = 1000 ] || fail "epsilon not stated"
cmp -s "$TEST_TMP/dp1.json" "$TEST_TMP/dp2.json" || fail "polling changed the noisy numbers"

# The key: 32 random bytes, readable by the daemon only.
key=$TEST_TMP/key-a/secret.key
[ -f "$key" ] || fail "no secret key in the state directory"
[ "$(stat -c '%s %a' "$key")" = "32 600" ] || fail "secret key size/mode: $(stat -c '%s %a' "$key")"

# Noisy counts: non-negative integers, not all equal to the true ones, and
# close to them. The budget is split over every published table (about 400)
# and the two counts of a cell, so epsilon 1000 leaves about 1.2 per count:
# discrete Laplace noise with scale under 1, a few units at most.
jq -e '[.rows[] | .numerator, .denominator] | all(. != null and . >= 0 and . == floor)' \
	"$TEST_TMP/dp1.json" >/dev/null || fail "noisy counts must be non-negative integers"
# Pair each noisy row with the true one by period.
jq -n --slurpfile t "$TEST_TMP/true.json" --slurpfile d "$TEST_TMP/dp1.json" \
	'[$t[0].rows[] as $r | ($d[0].rows[] | select(.period == $r.period)) as $n |
	  {tn: $r.numerator, td: $r.denominator, nn: $n.numerator, nd: $n.denominator}]' \
	>"$TEST_TMP/pairs.json"
[ "$(jq length "$TEST_TMP/pairs.json")" = "$(jq '.rows | length' "$TEST_TMP/true.json")" ] ||
	fail "dp table and raw cells do not have the same periods"
differ=$(jq '[.[] | select(.tn != .nn or .td != .nd)] | length' "$TEST_TMP/pairs.json")
[ "$differ" -gt 0 ] || fail "dp mode published the true counts"
jq -e '[.[] | ((.td - .nd) | fabs) <= 0.05 * .td + 50] | all' "$TEST_TMP/pairs.json" >/dev/null ||
	fail "noise far larger than expected"

# A restart with the same key reproduces every number.
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
rm -f "$TEST_TMP/key-a/snapshot.bin"
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-a" --disclosure-mode dp \
	--dp-epsilon 1000
curl -fsS "http://127.0.0.1:$port/$table" -o "$TEST_TMP/dp3.json"
jq -S '.rows' "$TEST_TMP/dp1.json" >"$TEST_TMP/rows1"
jq -S '.rows' "$TEST_TMP/dp3.json" >"$TEST_TMP/rows3"
cmp -s "$TEST_TMP/rows1" "$TEST_TMP/rows3" || fail "same key, same data: numbers changed"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true

# Another key gives other noise.
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-b" --disclosure-mode dp \
	--dp-epsilon 1000
curl -fsS "http://127.0.0.1:$port/$table" -o "$TEST_TMP/dp4.json"
jq -S '.rows' "$TEST_TMP/dp4.json" >"$TEST_TMP/rows4"
cmp -s "$TEST_TMP/rows1" "$TEST_TMP/rows4" && fail "a different key gave the same noise"
echo "test_dp: ok"
