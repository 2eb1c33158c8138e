#!/usr/bin/env bash
# The state directory's trust (issue 16, rows 4 and 10), through the real
# binary. "Database down" is ALTER DATABASE ... ALLOW_CONNECTIONS false: the
# conninfo, and so the source identity, stays the same.
#   S1 a snapshot built with k = 11, a restart with min_cell = 20 and the
#      database down: not served (503), logged with the difference; the
#      same with another timezone and another confidence (the rows'
#      intervals); a restart with k = 11: served (the
#      refusals were the settings');
#   S2 another database with the same state directory: the daemon refuses
#      to start (its ledger belongs to the first database); with the ledger
#      moved away, the first database's snapshot is not served, and the
#      daemon waits for its own refresh;
#   S3 a state file of another state directory (another secret.key):
#      refused; the issue's attack, a payload byte changed and both CRC-32s
#      recomputed: refused; the original file: served.
source "$(dirname "$0")/lib.sh"

BIN="$CASA_BUILD_DIR/casa-metricsd"
AS_OF=2025-06-30
TABLE=/api/v1/metrics/runaway_episodes_per_1000_days?period_type=year

step() { echo "--- $*" >&2; }

http_code() { curl -s -o "$TEST_TMP/body" -w '%{http_code}' "http://127.0.0.1:$1$2"; }
readyz_fresh() {
	[ "$(http_code "$1" /readyz)" = 200 ] && [ "$(jq -r '.stale' "$TEST_TMP/body")" = false ]
}
readyz_stale() {
	[ "$(http_code "$1" /readyz)" = 200 ] && [ "$(jq -r '.stale' "$TEST_TMP/body")" = true ]
}
healthy() { [ "$(http_code "$1" /healthz)" = 200 ]; }
snapshot_id() { curl -fsS "http://127.0.0.1:$1$TABLE" | jq -er '.snapshot.id'; }

# run_daemon NAME STATE ARGS...: starts the daemon on a free port; log in
# $TEST_TMP/NAME.log; sets PORT and DAEMON_PID.
run_daemon() {
	local name=$1 state=$2
	shift 2
	PORT=$(free_port)
	"$BIN" --listen "127.0.0.1:$PORT" --as-of "$AS_OF" --timezone UTC --refresh 2 \
		--connect-timeout 2 --state-dir "$state" "$@" >"$TEST_TMP/$name.log" 2>&1 &
	DAEMON_PID=$!
	TEST_PIDS+=("$DAEMON_PID")
}

stop_daemon() {
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || fail "daemon exit status $? on SIGTERM"
}

# not_served NAME: the daemon answers but serves nothing (no snapshot yet).
not_served() {
	wait_for 10 healthy "$PORT" || fail "$1: daemon did not start: $(cat "$TEST_TMP/$1.log")"
	sleep 1 # a persisted snapshot is in the slot before HTTP starts
	[ "$(http_code "$PORT" /readyz)" = 503 ] || fail "$1: a snapshot was served"
	[ "$(http_code "$PORT" "$TABLE")" = 503 ] || fail "$1: a table was served"
}

admin=$(fresh_db state_a)
conn_b=$(fresh_db state_b)
for c in "$admin" "$conn_b"; do
	CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$c" --children 300 \
		--seed 5 --as-of "$AS_OF" >/dev/null 2>&1 || fail "seed"
done
conn_a=${admin/user=casa_admin/user=casa_metricsd}
conn_b=${conn_b/user=casa_admin/user=casa_metricsd}
# on the sandbox's own database: a database cannot refuse its own session
sandbox=$("$PG" conninfo "$CASA_PG_DIR")
admin_sql() { psql "$sandbox" -XqAt -v ON_ERROR_STOP=1 -c "$1" >/dev/null; }
state=$TEST_TMP/state

##############################################################################
step "S1 a snapshot of k = 11, a restart with k = 20 and the database down"
run_daemon s1-build "$state" --db "$conn_a"
wait_for 60 readyz_fresh "$PORT" || fail "never fresh: $(tail -5 "$TEST_TMP/s1-build.log")"
id_a=$(snapshot_id "$PORT")
stop_daemon
admin_sql "ALTER DATABASE state_a ALLOW_CONNECTIONS false"

run_daemon s1-k20 "$state" --db "$conn_a" --min-cell 20
not_served s1-k20
grep -q "not served, it was built under other settings or from another source: min_cell=11 (this daemon: min_cell=20)" \
	"$TEST_TMP/s1-k20.log" || fail "k difference not logged: $(grep snapshot_load "$TEST_TMP/s1-k20.log")"
stop_daemon

run_daemon s1-tz "$state" --db "$conn_a" --timezone America/Chicago
not_served s1-tz
grep -q "timezone=UTC (this daemon: timezone=America/Chicago)" "$TEST_TMP/s1-tz.log" ||
	fail "timezone difference not logged: $(grep snapshot_load "$TEST_TMP/s1-tz.log")"
stop_daemon

run_daemon s1-confidence "$state" --db "$conn_a" --confidence 0.9
not_served s1-confidence
grep -q "confidence=0.94999999999999996 (this daemon: confidence=0.90000000000000002)" \
	"$TEST_TMP/s1-confidence.log" ||
	fail "confidence difference not logged: $(grep snapshot_load "$TEST_TMP/s1-confidence.log")"
stop_daemon

run_daemon s1-k11 "$state" --db "$conn_a"
wait_for 10 readyz_stale "$PORT" || fail "the persisted snapshot of the same settings was not served"
[ "$(snapshot_id "$PORT")" = "$id_a" ] || fail "another snapshot served"
stop_daemon

##############################################################################
step "S2 another database, same state directory"
status=0
timeout 30 "$BIN" --listen "127.0.0.1:$(free_port)" --as-of "$AS_OF" --timezone UTC \
	--state-dir "$state" --db "$conn_b" >"$TEST_TMP/s2-refused.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "started with another database's ledger (status $status)"
grep -q "ledger.bin holds the releases of another database (host=127.0.0.1 port=[0-9]* dbname=state_a schema=deid), not of host=127.0.0.1 port=[0-9]* dbname=state_b schema=deid" \
	"$TEST_TMP/s2-refused.log" || fail "refusal unclear: $(cat "$TEST_TMP/s2-refused.log")"
status=0
"$BIN" --once --output "$TEST_TMP/once-b" --as-of "$AS_OF" --timezone UTC --state-dir "$state" \
	--db "$conn_b" >"$TEST_TMP/s2-once.log" 2>&1 || status=$?
[ "$status" -eq 1 ] || fail "--once used another database's ledger"

# the operator moves the ledger away: the daemon starts, but not with the
# other database's snapshot
mv "$state/ledger.bin" "$TEST_TMP/ledger-a.bin"
admin_sql "ALTER DATABASE state_b ALLOW_CONNECTIONS false"
run_daemon s2-moved "$state" --db "$conn_b"
not_served s2-moved
grep -q "(this daemon: source=host=127.0.0.1 port=[0-9]* dbname=state_b schema=deid)" \
	"$TEST_TMP/s2-moved.log" || fail "source difference not logged: $(grep snapshot_load "$TEST_TMP/s2-moved.log")"
admin_sql "ALTER DATABASE state_b ALLOW_CONNECTIONS true"
wait_for 60 readyz_fresh "$PORT" || fail "no refresh from the second database"
stop_daemon

##############################################################################
step "S3 a state file of another key; the issue's CRC attack"
admin_sql "ALTER DATABASE state_a ALLOW_CONNECTIONS true"
for dir in key1 key2; do
	run_daemon "s3-$dir" "$TEST_TMP/$dir" --db "$conn_a"
	wait_for 60 readyz_fresh "$PORT" || fail "never fresh ($dir)"
	stop_daemon
done
cmp -s "$TEST_TMP/key1/secret.key" "$TEST_TMP/key2/secret.key" && fail "two state directories share a key"
admin_sql "ALTER DATABASE state_a ALLOW_CONNECTIONS false"
cp "$TEST_TMP/key1/snapshot.bin" "$TEST_TMP/original.bin"
cp "$TEST_TMP/key2/snapshot.bin" "$TEST_TMP/key1/snapshot.bin"
run_daemon s3-other-key "$TEST_TMP/key1" --db "$conn_a"
not_served s3-other-key
grep -q "refused, not sealed with this state directory's secret.key" "$TEST_TMP/s3-other-key.log" ||
	fail "another key's file not refused as such: $(grep snapshot_load "$TEST_TMP/s3-other-key.log")"
stop_daemon

# one payload byte changed (a digit of a table body), both CRC-32s recomputed
python3 - "$TEST_TMP/original.bin" "$TEST_TMP/key1/snapshot.bin" <<-'PY' || fail "alter"
	import struct, sys, zlib
	data = bytearray(open(sys.argv[1], "rb").read())
	payload_len = struct.unpack_from("<Q", data, 16)[0]
	at = data.index(b'"numerator":', 32) + len(b'"numerator":')
	data[at] = ord("1") if data[at] != ord("1") else ord("2")
	struct.pack_into("<I", data, 24, zlib.crc32(data[32:32 + payload_len]))
	struct.pack_into("<I", data, 28, zlib.crc32(data[:28]))
	open(sys.argv[2], "wb").write(data)
PY
run_daemon s3-altered "$TEST_TMP/key1" --db "$conn_a"
not_served s3-altered
grep -q "snapshot_load: .*refused" "$TEST_TMP/s3-altered.log" || fail "altered file not logged"
stop_daemon

cp "$TEST_TMP/original.bin" "$TEST_TMP/key1/snapshot.bin"
run_daemon s3-original "$TEST_TMP/key1" --db "$conn_a"
wait_for 10 readyz_stale "$PORT" || fail "the original file was not served: $(cat "$TEST_TMP/s3-original.log")"
stop_daemon
admin_sql "ALTER DATABASE state_a ALLOW_CONNECTIONS true"

echo "ok: state guard"
