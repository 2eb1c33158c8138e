#!/usr/bin/env bash
# Issue 16 row 1, the watchdog: a refresh that ran for minutes left /readyz
# saying "stale": false. Now a refresh running past refresh_deadline marks
# the data stale (/readyz, /metrics, X-Casa-Stale) and the log says so, while
# the old snapshot keeps being served; when the refresh ends, the new data
# is served and the flag clears.
#
# The slow refresh: a transaction holds an ACCESS EXCLUSIVE lock on
# deid.placements for 10 s, so the pull's COPY of that table waits; SIGHUP
# starts the refresh at once, with refresh_deadline lowered from 300 s (the
# first refresh may take a few seconds on a loaded machine) to 2 s in the
# config file it re-reads.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db watchdog_test)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 300 \
	--seed 4 --as-of 2025-06-30 >/dev/null 2>&1 || fail "seeding"
port=$(free_port)
base="http://127.0.0.1:$port"
log=$TEST_TMP/daemon-$port.log
config=$TEST_TMP/casa.conf
echo "refresh_deadline = 300" >"$config"
start_daemon "$port" --config "$config" --db "$conn" --as-of 2025-06-30 --timezone UTC \
	--refresh 3600 --state-dir "$TEST_TMP/state"

readyz() { curl -fsS "$base/readyz" -o "$TEST_TMP/readyz.json" || fail "/readyz"; }
# wait_stale WANT SECONDS: polls /readyz until .stale is WANT.
wait_stale() {
	local i
	for i in $(seq 1 $(($2 * 10))); do
		readyz
		# jq -e (json) fails on false: plain jq for the flag
		[ "$(jq -r .stale "$TEST_TMP/readyz.json")" = "$1" ] && return 0
		sleep 0.1
	done
	fail "/readyz stale is not $1 after $2 s: $(cat "$TEST_TMP/readyz.json")"
}

wait_stale false 30
old_id=$(json .snapshot.id "$TEST_TMP/readyz.json")
table=/api/v1/metrics/runaway_episodes_per_1000_days
curl -fsS "$base$table" -o /dev/null || fail "$table"

# A new child in care and a new batch, so that the slow refresh serves
# something new in the end.
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "adding a batch"
	BEGIN;
	INSERT INTO deid.children (child_key, birth_month, sex, race_ethnicity)
	SELECT max(child_key) + 1, DATE '2012-01-01', 'female', 'white' FROM deid.children;
	INSERT INTO deid.episodes (episode_key, child_key, county, removal_date)
	SELECT (SELECT max(episode_key) + 1 FROM deid.episodes),
	       (SELECT max(child_key) FROM deid.children),
	       (SELECT county FROM deid.episodes ORDER BY episode_key LIMIT 1), DATE '2025-01-15';
	INSERT INTO deid.extract_batches (batch_id, loaded_at)
	SELECT max(batch_id) + 1, now() FROM deid.extract_batches;
	COMMIT;
SQL
psql "$conn" -Xq -v ON_ERROR_STOP=1 -c "BEGIN" \
	-c "LOCK TABLE deid.placements IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(10)" \
	-c "COMMIT" >/dev/null 2>&1 &
locker=$!
TEST_PIDS+=("$locker")
for _ in $(seq 1 50); do
	held=$(psql "$conn" -XAt -c "SELECT count(*) FROM pg_locks l JOIN pg_class c
		ON c.oid = l.relation WHERE c.relname = 'placements' AND l.mode = 'AccessExclusiveLock'
		AND l.granted")
	[ "$held" = 1 ] && break
	sleep 0.1
done
[ "$held" = 1 ] || fail "the lock on deid.placements was not taken"
echo "refresh_deadline = 2" >"$config"
locked_at=$(date +%s.%N)
kill -HUP "$DAEMON_PID"

# Past the 2 s deadline (the watchdog looks every second): stale, the old
# snapshot still served, and said so in the log and in /metrics.
wait_stale true 8
stale_after=$(awk -v a="$locked_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
awk -v t="$stale_after" 'BEGIN { exit !(t >= 2) }' ||
	fail "stale after ${stale_after} s, before the 2 s deadline"
[ "$(json .snapshot.id "$TEST_TMP/readyz.json")" = "$old_id" ] || fail "the snapshot changed"
[ "$(json .ready "$TEST_TMP/readyz.json")" = true ] || fail "not ready while refreshing"
curl -fsS -D "$TEST_TMP/headers" "$base$table" -o "$TEST_TMP/table.json" || fail "$table while stale"
grep -qi '^X-Casa-Stale: true' "$TEST_TMP/headers" || fail "no X-Casa-Stale header"
[ "$(json .snapshot.id "$TEST_TMP/table.json")" = "$old_id" ] || fail "the table's snapshot changed"
curl -fsS "$base/metrics" -o "$TEST_TMP/metrics.txt" || fail "/metrics"
grep -qx 'casa_metrics_stale 1' "$TEST_TMP/metrics.txt" || fail "casa_metrics_stale is not 1"
running=$(sed -n 's/^casa_metrics_refresh_running_seconds //p' "$TEST_TMP/metrics.txt")
awk -v r="$running" 'BEGIN { exit !(r >= 2) }' || fail "refresh_running_seconds $running"
grep -q 'past refresh_deadline (300 s)' "$log" && fail "the first refresh was overdue"
for _ in $(seq 1 20); do
	grep -q 'past refresh_deadline (2 s): serving the last snapshot as stale' "$log" && break
	sleep 0.1
done
grep -q 'past refresh_deadline (2 s): serving the last snapshot as stale' "$log" ||
	fail "the log does not say the refresh is past its deadline: $(cat "$log")"
[ "$(grep -c 'running for .* past refresh_deadline' "$log")" = 1 ] ||
	fail "the overdue refresh was logged more than once: $(cat "$log")"

# The lock goes after 10 s: the refresh ends, the new snapshot is served,
# fresh again; the log says how long it took.
wait "$locker" 2>/dev/null || true
wait_stale false 30
[ "$(json .snapshot.id "$TEST_TMP/readyz.json")" != "$old_id" ] || fail "the new snapshot is not served"
grep -q 'refresh: done after [0-9]* s, past refresh_deadline (2 s)' "$log" ||
	fail "the end of the overdue refresh is not logged"
curl -fsS -D "$TEST_TMP/headers" "$base$table" -o /dev/null || fail "$table"
if grep -qi '^X-Casa-Stale' "$TEST_TMP/headers"; then fail "still X-Casa-Stale"; fi
curl -fsS "$base/metrics" | grep -qx 'casa_metrics_refresh_running_seconds 0.000' ||
	fail "a refresh still counted as running"

# The key: refused out of range, naming it.
if "$CASA_BUILD_DIR/casa-metricsd" --check-config --refresh-deadline 0 >"$TEST_TMP/check.log" 2>&1; then
	fail "--check-config accepted refresh_deadline 0"
fi
grep -q refresh_deadline "$TEST_TMP/check.log" || fail "not named: $(cat "$TEST_TMP/check.log")"
echo "test_refresh_watchdog: ok"
