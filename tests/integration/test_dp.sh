#!/usr/bin/env bash
# Differential-privacy mode end to end (SPEC §5): the API states the mode,
# epsilon and that intervals leave the noise out; counts carry noise, close
# to the true ones; a count two metrics publish is the same number in both;
# groups add up to totals, months to quarters, quarters to years; quantiles
# are withheld; the quality report and /metrics give row counts rounded to
# k; the noise is a deterministic function of the secret key in the state
# directory, the cell and its true count, so polling and restarts give the
# same numbers (nothing to average away) while another key gives others.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db dp_test)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 3000 \
	--seed 21 --as-of 2025-06-30 >/dev/null 2>&1 || fail "seeding"
api=api/v1/metrics
common=(--db "$conn" --as-of 2025-06-30 --timezone UTC --refresh 3600)

# The true counts, from the raw cells of the test-only dump tool (the daemon
# itself never publishes them): the rows of the yearly runaway total.
"$CASA_BUILD_DIR/casa-dump" --db "$conn" --as-of 2025-06-30 --timezone UTC >"$TEST_TMP/raw.csv" ||
	fail "casa-dump"
grep '^runaway_episodes_per_1000_days,year,total,' "$TEST_TMP/raw.csv" |
	jq -R -s '{rows: [split("\n")[] | select(length > 0) | split(",") |
	  {period: .[3], numerator: (.[5] | tonumber), denominator: (.[6] | tonumber)}]}' \
	>"$TEST_TMP/true.json"
[ "$(jq '.rows | length' "$TEST_TMP/true.json")" -ge 5 ] || fail "expected several years of data"

port=$(free_port)
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-a" --disclosure-mode dp \
	--dp-epsilon 10
get() { curl -fsS "http://127.0.0.1:$port/$1" -o "$TEST_TMP/$2"; }
get "$api/runaway_episodes_per_1000_days?period_type=year" dp1.json
get "$api/runaway_episodes_per_1000_days?period_type=year" dp2.json
[ "$(json '.disclosure.mode' "$TEST_TMP/dp1.json")" = dp ] || fail "mode not stated"
[ "$(json '.disclosure.epsilon' "$TEST_TMP/dp1.json")" = 10 ] || fail "epsilon not stated"
[ "$(jq '.disclosure.intervals_include_noise' "$TEST_TMP/dp1.json")" = false ] ||
	fail "intervals_include_noise: false not stated"
cmp -s "$TEST_TMP/dp1.json" "$TEST_TMP/dp2.json" || fail "polling changed the noisy numbers"

# The key: 32 random bytes, readable by the daemon only.
key=$TEST_TMP/key-a/secret.key
[ -f "$key" ] || fail "no secret key in the state directory"
[ "$(stat -c '%s %a' "$key")" = "32 600" ] || fail "secret key size/mode: $(stat -c '%s %a' "$key")"

# Noisy counts: non-negative integers, not all equal to the true ones, and
# close to them. Budget (docs/privacy.md): 27 published (metric, count)
# shares, the runaway count has 4 of them, 2/3 of those for its totals, 3/4
# of that for the quarters: eps = 10 * 4/27 * 2/3 * 3/4 = 0.741 a quarter;
# days in care (2 shares) 0.370. A year is the sum of its quarters. With
# p = exp(-eps), P(|Z| >= m) = 2 p^m / (1 + p): 2e-13 for m = 40 episodes
# (p = 0.477) and m = 80 days (p = 0.690) a quarter, so a year is off by at
# most 160 episodes and 320 days, but by something in some year.
jq -e '[.rows[] | .numerator, .denominator] | all(. != null and . >= 0 and . == floor)' \
	"$TEST_TMP/dp1.json" >/dev/null || fail "noisy counts must be non-negative integers"
jq -n --slurpfile t "$TEST_TMP/true.json" --slurpfile d "$TEST_TMP/dp1.json" \
	'[$t[0].rows[] as $r | ($d[0].rows[] | select(.period == $r.period)) as $n |
	  {tn: $r.numerator, td: $r.denominator, nn: $n.numerator, nd: $n.denominator}]' \
	>"$TEST_TMP/pairs.json"
[ "$(jq length "$TEST_TMP/pairs.json")" = "$(jq '.rows | length' "$TEST_TMP/true.json")" ] ||
	fail "dp table and raw cells do not have the same periods"
differ=$(jq '[.[] | select(.tn != .nn or .td != .nd)] | length' "$TEST_TMP/pairs.json")
[ "$differ" -gt 0 ] || fail "dp mode published the true counts"
jq -e 'all(((.tn - .nn) | fabs) <= 160 and ((.td - .nd) | fabs) <= 320)' "$TEST_TMP/pairs.json" \
	>/dev/null || fail "noise far larger than the budget allows: $(jq -c . "$TEST_TMP/pairs.json")"

# One noisy count per quantity: the runaway episodes are the reporting
# percentages' denominators and, in periods closed 7 days, the return
# percentage's; days in care are both day-based rates' denominators.
# (by="" asks for the totals)
for by in "" advocate; do
	q="period_type=quarter${by:+&by=$by}"
	get "$api/runaway_episodes_per_1000_days?$q" runaway.json
	get "$api/moves_per_1000_days_in_care?$q" moves.json
	for m in reported_le_24h_pct reported_ncmec_24h_pct returned_within_7_days_pct; do
		get "$api/$m?$q" "$m.json"
		jq -e -n --slurpfile a "$TEST_TMP/runaway.json" --slurpfile b "$TEST_TMP/$m.json" \
			'[$a[0].rows, $b[0].rows] | transpose |
			 map(select(.[1].suppressed | not)) | length > 0 and
			 all(.[0].numerator == .[1].denominator and
			     .[1].numerator <= .[1].denominator)' >/dev/null ||
			fail "$m${by:+ by $by}: denominator is not the runaway numerator"
	done
	jq -e -n --slurpfile a "$TEST_TMP/runaway.json" --slurpfile b "$TEST_TMP/moves.json" \
		'[$a[0].rows, $b[0].rows] | transpose | length > 0 and
		 all(.[0].denominator == .[1].denominator)' >/dev/null ||
		fail "moves${by:+ by $by}: days in care differ from the runaway rate's"
done
# returned_within_7_days_pct: the quarter that ends on as_of is withheld
get "$api/returned_within_7_days_pct?period_type=quarter" returned.json
[ "$(jq '.rows[-1] | .period == "2025-Q2" and .suppressed' "$TEST_TMP/returned.json")" = true ] ||
	fail "returned_within_7_days_pct of the quarter ending on as_of is not withheld"

# Groups add up to the total, period by period (the settled quarters).
get "$api/runaway_episodes_per_1000_days?period_type=quarter&by=advocate" adv.json
get "$api/runaway_episodes_per_1000_days?period_type=quarter" qtr.json
jq -e -n --slurpfile g "$TEST_TMP/adv.json" --slurpfile t "$TEST_TMP/qtr.json" \
	'[$g[0].rows | group_by(.period)[] |
	  {period: .[0].period, n: (map(.numerator) | add), d: (map(.denominator) | add)}] as $sums |
	 ($sums | length) >= 8 and
	 all($sums[]; . as $s | $t[0].rows[] | select(.period == $s.period) |
	     .numerator == $s.n and .denominator == $s.d)' >/dev/null ||
	fail "advocate groups do not add up to the quarterly totals"
# Months add up to quarters, quarters to years (events add up over time).
get "$api/runaway_episodes_per_1000_days?period_type=month" mon.json
get "$api/runaway_episodes_per_1000_days?period_type=year" yr.json
sums() { # $1 rows, $2 length of the period prefix that names the longer period
	jq -n --slurpfile r "$TEST_TMP/$1" --argjson n "$2" \
		'[$r[0].rows[] | {p: .period[0:$n], n: .numerator, d: .denominator}] |
		 group_by(.p) | map({key: .[0].p, value: [(map(.n) | add), (map(.d) | add)]}) |
		 from_entries'
}
jq -e -n --argjson months "$(sums mon.json 7)" --slurpfile q "$TEST_TMP/qtr.json" \
	'all($q[0].rows[]; . as $r | ($r.period[0:4] | tonumber) as $y |
	     ($r.period[6:7] | tonumber) as $k |
	     [range(3 * $k - 2; 3 * $k + 1) | "\($y)-\(if . < 10 then "0" else "" end)\(.)" |
	      $months[.] // [0, 0]] | [(map(.[0]) | add), (map(.[1]) | add)] ==
	     [$r.numerator, $r.denominator])' >/dev/null ||
	fail "months do not add up to their quarters"
jq -e -n --argjson quarters "$(sums qtr.json 4)" --slurpfile y "$TEST_TMP/yr.json" \
	'all($y[0].rows[]; $quarters[.period] == [.numerator, .denominator])' >/dev/null ||
	fail "quarters do not add up to their years"

# Quantiles are withheld in dp mode.
get "$api/days_missing_median?period_type=year" median.json
jq -e '(.rows | length) > 0 and all(.rows[]; .suppressed and .value == null)' \
	"$TEST_TMP/median.json" >/dev/null || fail "days_missing_median published in dp mode"

# Row counts next to the tables: multiples of k = 11, and not all zero.
get api/v1/quality quality.json
jq -e '[.rows_read[], .rows_kept[], .rules[].count] | (all(. % 11 == 0)) and add > 0' \
	"$TEST_TMP/quality.json" >/dev/null || fail "quality row counts not rounded to k"
get metrics prom.txt
grep -E '^casa_metrics_(rows_loaded|dq_violations)\{' "$TEST_TMP/prom.txt" |
	awk '$2 % 11 != 0 { bad = 1 } { sum += $2 } END { exit bad || sum == 0 }' ||
	fail "/metrics row counts not rounded to k"

# A restart with the same key reproduces every number.
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true
rm -f "$TEST_TMP/key-a/snapshot.bin"
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-a" --disclosure-mode dp \
	--dp-epsilon 10
get "$api/runaway_episodes_per_1000_days?period_type=year" dp3.json
jq -S '.rows' "$TEST_TMP/dp1.json" >"$TEST_TMP/rows1"
jq -S '.rows' "$TEST_TMP/dp3.json" >"$TEST_TMP/rows3"
cmp -s "$TEST_TMP/rows1" "$TEST_TMP/rows3" || fail "same key, same data: numbers changed"
kill "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null || true

# Another key gives other noise.
start_daemon "$port" "${common[@]}" --state-dir "$TEST_TMP/key-b" --disclosure-mode dp \
	--dp-epsilon 10
get "$api/runaway_episodes_per_1000_days?period_type=year" dp4.json
jq -S '.rows' "$TEST_TMP/dp4.json" >"$TEST_TMP/rows4"
cmp -s "$TEST_TMP/rows1" "$TEST_TMP/rows4" && fail "a different key gave the same noise"
echo "test_dp: ok"
