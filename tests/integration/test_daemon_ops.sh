#!/usr/bin/env bash
# Daemon operations end to end (SPEC §6, §7; issue "Daemon operations"): a real
# PostgreSQL, the real binary, curl.
#
#   A  shared sandbox ($CASA_PG_DIR), database ops_test:
#      --check-config; --once --output (files written, exit 0); a new batch is
#      picked up (snapshot id changes); SIGHUP with a good config (new CORS
#      origin visible in headers, min_cell applied by an immediate refresh
#      although refresh = 3600) and a bad one (old kept, error names the
#      key); SIGTERM during a curl loop: prompt exit 0, no request fails.
#   B  a private sandbox (so the shared one stays up), database ops_down:
#      database stopped -> API still 200, /readyz stale, X-Casa-Stale header,
#      /metrics counts failures; database back -> recovers; kill -9 and a
#      restart with the database down -> the persisted snapshot is served at
#      once; a corrupted state file -> logged, ignored, not ready until the
#      database answers; --once with the database down -> exit 1 and no
#      password in the message.
#
# Nothing here compares metric values: those tests own their expectations.
# What is checked are protocol facts (status codes, headers, exit codes) and
# identities (the snapshot id must change exactly when the data changes) and
# the operational counters of /metrics.
source "$(dirname "$0")/lib.sh"

BIN="$CASA_BUILD_DIR/casa-metricsd"
SEED="$CASA_SOURCE_DIR/scripts/seed"
export CASA_GEN="${CASA_GEN:-$CASA_BUILD_DIR/casa-gen}"
AS_OF=2025-06-30
TABLE=/api/v1/metrics/runaway_episodes_per_1000_days?period_type=year
# Outside $TEST_TMP (mode 0700): the server runs as the postgres user.
PRIVATE_PG=$(mktemp -d "${TMPDIR:-/tmp}/casa-ops-pg.XXXXXX")
# Password placed in every conninfo: trust auth ignores it, and it must never
# show up in a log line, an error or /metrics (SPEC §7).
PASSWORD=ops-Secret-7f3a

cleanup_private() {
	"$PG" destroy "$PRIVATE_PG" >/dev/null 2>&1 || true
}
trap 'cleanup_private; cleanup' EXIT

step() { echo "--- $*" >&2; }

# seed CONNINFO SEED: fills the deid schema with the generator, then appends
# an extract batch so that max(batch_id) (the refresh key) moves even when
# the generator restarts its batch numbering.
seed() {
	"$SEED" "$1" --children 2000 --seed "$2" --as-of "$AS_OF" >"$TEST_TMP/seed-$2.log" 2>&1 ||
		{ cat "$TEST_TMP/seed-$2.log" >&2; fail "seeding with seed $2"; }
	psql "$1" -XqAt -v ON_ERROR_STOP=1 -c "INSERT INTO deid.extract_batches (batch_id, loaded_at)
		SELECT coalesce(max(batch_id), 0) + 1, now() FROM deid.extract_batches" >/dev/null
}

create_db() { # ADMIN_CONNINFO NAME -> conninfo of NAME
	psql "$1" -XqAt -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS $2 WITH (FORCE)" \
		-c "CREATE DATABASE $2" >/dev/null
	echo "${1/dbname=casa/dbname=$2}"
}

# snapshot_id PORT: the id of the snapshot a table is served from.
snapshot_id() {
	curl -fsS "http://127.0.0.1:$1$TABLE" -o "$TEST_TMP/id.json" || return 1
	jq -er '.snapshot.id' "$TEST_TMP/id.json"
}

readyz_stale() { # PORT -> true when /readyz says stale
	curl -s "http://127.0.0.1:$1/readyz" -o "$TEST_TMP/readyz.json" || return 1
	[ "$(jq -r '.stale' "$TEST_TMP/readyz.json")" = true ]
}
readyz_fresh() {
	[ "$(curl -s -o "$TEST_TMP/readyz.json" -w '%{http_code}' "http://127.0.0.1:$1/readyz")" = 200 ] &&
		[ "$(jq -r '.stale' "$TEST_TMP/readyz.json")" = false ]
}
id_differs() { # PORT OLD_ID
	local id
	id=$(snapshot_id "$1") && [ "$id" != "$2" ]
}

# metric_value PORT NAME: the first sample of NAME in /metrics (no labels).
metric_value() {
	curl -fsS "http://127.0.0.1:$1/metrics" -o "$TEST_TMP/metrics.txt" || return 1
	awk -v n="$2" '$1 == n { print $2; exit }' "$TEST_TMP/metrics.txt"
}

no_password_in() { # FILE...
	! grep -l -- "$PASSWORD" "$@" || fail "the database password appears in $*"
}

admin=$("$PG" conninfo "$CASA_PG_DIR")
conn=$(create_db "$admin" ops_test)
seed "$conn" 7
conn_pw="$conn password=$PASSWORD"

##############################################################################
step "A1 --check-config"
cat >"$TEST_TMP/good.conf" <<-EOF
	# a comment
	db = "$conn_pw"
	as_of = $AS_OF
	refresh = 2
	timezone = UTC
	cors_origins = https://first.example
EOF
[ "$("$BIN" --config "$TEST_TMP/good.conf" --check-config)" = "configuration OK" ] ||
	fail "--check-config on a good file"
printf 'refresh = 2\nmin_cell = 3\n' >"$TEST_TMP/bad.conf"
if "$BIN" --config "$TEST_TMP/bad.conf" --check-config >"$TEST_TMP/check.out" 2>&1; then
	fail "--check-config accepted min_cell = 3"
fi
grep -q "bad.conf:2: min_cell" "$TEST_TMP/check.out" || fail "check-config error: $(cat "$TEST_TMP/check.out")"

##############################################################################
step "A2 --once --output"
"$BIN" --once --output "$TEST_TMP/once" --db "$conn_pw" --as-of "$AS_OF" --timezone UTC \
	--state-dir "$TEST_TMP/once-state" >"$TEST_TMP/once.log" 2>&1 ||
	{ cat "$TEST_TMP/once.log" >&2; fail "--once exited non-zero"; }
[ "$(find "$TEST_TMP/once" -name '*.json' | wc -l)" -gt 1 ] || fail "--once wrote no JSON tables"
[ "$(find "$TEST_TMP/once" -name '*.csv' | wc -l)" -gt 1 ] || fail "--once wrote no CSV tables"
no_password_in "$TEST_TMP/once.log"

##############################################################################
step "A3 a new batch is picked up"
port=$(free_port)
start_daemon "$port" --config "$TEST_TMP/good.conf" --state-dir "$TEST_TMP/state-a"
log_a=$TEST_TMP/daemon-$port.log
wait_for 30 readyz_fresh "$port" || fail "daemon A never fresh: $(cat "$log_a")"
id1=$(snapshot_id "$port") || fail "no snapshot id"
seed "$conn" 8
wait_for 60 id_differs "$port" "$id1" || fail "re-seeded data not picked up: $(tail "$log_a")"
# seed() appends its own batch after the generator's: the daemon may have
# pulled between the two, and then pulls once more for the last one.
newest=$(psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "SELECT max(batch_id) FROM deid.extract_batches")
key_is() { [ "$(metric_value "$1" casa_metrics_refresh_key)" = "$2" ]; }
wait_for 30 key_is "$port" "$newest" || fail "batch $newest not picked up: $(tail "$log_a")"
# Unchanged refresh key, same as_of, young snapshot: refreshes are skipped
# (SPEC §7), so the build counter stands still while the skip counter moves.
built=$(metric_value "$port" casa_metrics_refreshes_total)
skipped=$(metric_value "$port" casa_metrics_refresh_skipped_total)
sleep 5
[ "$(metric_value "$port" casa_metrics_refreshes_total)" = "$built" ] ||
	fail "a refresh rebuilt the snapshot although the refresh key did not move: $(tail "$log_a")"
[ "$(metric_value "$port" casa_metrics_refresh_skipped_total)" -gt "$skipped" ] ||
	fail "no refresh was skipped in 5 s with refresh = 2"
# Issue 15: the key check keeps its connection open between refreshes (a
# new one cost tens of ms each time), so every skipped refresh is read by the
# same backend; one the server closes (here pg_terminate_backend, as a restart
# or idle_session_timeout would) is replaced at once: no failed refresh, the
# database still up.
key_backend() { # -> pid of the daemon's idle key-check session (none: empty)
	psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "SELECT pid FROM pg_stat_activity
		WHERE datname = current_database() AND application_name = 'casa-metricsd'
		AND state = 'idle' AND query LIKE 'SELECT newest::text%'"
}
key_pid=$(key_backend)
[ -n "$key_pid" ] && [ "$(echo "$key_pid" | wc -l)" = 1 ] ||
	fail "not one key-check session after skipped refreshes: '$key_pid'"
skipped=$(metric_value "$port" casa_metrics_refresh_skipped_total)
skipped_more() { [ "$(metric_value "$port" casa_metrics_refresh_skipped_total)" -ge "$1" ]; }
wait_for 10 skipped_more $((skipped + 2)) || fail "refreshes no longer skipped"
[ "$(key_backend)" = "$key_pid" ] || fail "the key check did not keep its connection"
failures=$(metric_value "$port" casa_metrics_refresh_failures_total)
psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "SELECT pg_terminate_backend($key_pid)" >/dev/null
skipped=$(metric_value "$port" casa_metrics_refresh_skipped_total)
wait_for 10 skipped_more $((skipped + 2)) || fail "no skipped refresh after the kept session ended"
[ "$(metric_value "$port" casa_metrics_refresh_failures_total)" = "$failures" ] ||
	fail "a kept key-check connection closed by the server made a refresh fail: $(tail "$log_a")"
[ "$(metric_value "$port" casa_metrics_db_up)" = 1 ] || fail "db_up not 1 after a reconnect"
new_pid=$(key_backend)
[ -n "$new_pid" ] && [ "$new_pid" != "$key_pid" ] || fail "no new key-check session ($new_pid)"
grep -q 'kept key-check connection was closed by the server; connecting again' "$log_a" ||
	fail "the reconnect is not logged: $(tail "$log_a")"

##############################################################################
step "A4 SIGHUP with a good config, then a bad one"
origin_header() { # PORT ORIGIN -> the Access-Control-Allow-Origin value
	curl -fsS -D - -o /dev/null -H "Origin: $2" "http://127.0.0.1:$1$TABLE" |
		tr -d '\r' | awk -F': ' 'tolower($1) == "access-control-allow-origin" { print $2 }'
}
[ "$(origin_header "$port" https://first.example)" = https://first.example ] ||
	fail "CORS origin of the first config not served"
# The reloaded file also moves refresh to an hour: from now on only a wake-up
# of the refresh thread by a signal can make a change visible within seconds.
sed -i -e 's|^cors_origins = .*|cors_origins = https://second.example|' \
	-e 's|^refresh = .*|refresh = 3600|' "$TEST_TMP/good.conf"
echo "min_cell = 12" >>"$TEST_TMP/good.conf"
kill -HUP "$DAEMON_PID"
second_allowed() { [ "$(origin_header "$port" https://second.example)" = https://second.example ]; }
wait_for 10 second_allowed || fail "SIGHUP did not apply cors_origins: $(tail "$log_a")"
[ -z "$(origin_header "$port" https://first.example)" ] || fail "old CORS origin still allowed"
min_cell_is() { # PORT K: the served tables were protected with min_cell K
	curl -fsS "http://127.0.0.1:$1$TABLE" -o "$TEST_TMP/k.json" &&
		[ "$(jq -r '.disclosure.min_cell' "$TEST_TMP/k.json")" = "$2" ]
}
wait_for 30 min_cell_is "$port" 12 || fail "SIGHUP did not apply min_cell = 12 at a refresh"
# The kept key-check session (A3) outlives a reload with the same db, and is
# closed by one whose db differs (here only the password: the same database).
backend_open() { [ "$(psql "$conn" -XAt -c "SELECT count(*) FROM pg_stat_activity
	WHERE pid = $1")" = 1 ]; }
backend_open "$new_pid" || fail "a reload with the same db closed the kept key-check session"
sed -i -e 's|^min_cell = .*|min_cell = 13|' \
	-e "s|password=$PASSWORD\"|password=$PASSWORD-2\"|" "$TEST_TMP/good.conf"
grep -q "password=$PASSWORD-2\"" "$TEST_TMP/good.conf" || fail "the db line was not changed"
kill -HUP "$DAEMON_PID"
wait_for 30 min_cell_is "$port" 13 ||
	fail "SIGHUP did not wake the refresh thread (refresh = 3600): $(tail "$log_a")"
backend_gone() { ! backend_open "$1"; }
wait_for 10 backend_gone "$new_pid" ||
	fail "a reload with another db kept the old key-check session open"

printf 'db = "%s"\nrefresh = 3600\ncors_origins = https://third.example\nmin_cell = 4\n' \
	"$conn_pw" >"$TEST_TMP/good.conf"
kill -HUP "$DAEMON_PID"
wait_for 10 grep -q "reload: .*min_cell.*keeping the previous configuration" "$log_a" ||
	fail "a bad reload was not logged with its key: $(tail "$log_a")"
kill -0 "$DAEMON_PID" || fail "daemon died on a bad reload"
second_allowed || fail "a bad reload changed the running configuration"
min_cell_is "$port" 13 || fail "a bad reload changed min_cell"

##############################################################################
step "A5 SIGTERM while clients poll (and the refresh thread sleeps for an hour)"
(
	end=$((SECONDS + 30))
	while [ $SECONDS -lt $end ]; do
		rc=0
		code=$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$TABLE" 2>/dev/null) || rc=$?
		# 7 = connection refused: the daemon is gone, the request never started.
		[ $rc -eq 7 ] && break
		echo "$rc $code"
	done >"$TEST_TMP/poll.txt"
) &
poller=$!
sleep 1.5
kill -TERM "$DAEMON_PID"
term_at=$SECONDS
status=0
wait "$DAEMON_PID" || status=$?
wait "$poller" || true
[ "$status" -eq 0 ] || fail "SIGTERM exit status $status"
[ $((SECONDS - term_at)) -le 6 ] || fail "SIGTERM took $((SECONDS - term_at)) s: the refresh wait was not woken"
[ -s "$TEST_TMP/poll.txt" ] || fail "the poller made no request"
bad=$(grep -cv '^0 200$' "$TEST_TMP/poll.txt" || true)
[ "$bad" -eq 0 ] || fail "$bad requests failed around SIGTERM: $(grep -v '^0 200$' "$TEST_TMP/poll.txt" | head -3)"
no_password_in "$log_a"

##############################################################################
step "A6 SIGTERM while a pull waits on a lock: the pull is cancelled"
port=$(free_port)
start_daemon "$port" --db "$conn_pw" --as-of "$AS_OF" --timezone UTC --refresh 3600 \
	--state-dir "$TEST_TMP/state-c"
log_c=$TEST_TMP/daemon-$port.log
wait_for 30 readyz_fresh "$port" || fail "daemon C never fresh"
sql_value() { psql "$conn" -XqAt -v ON_ERROR_STOP=1 -c "$1"; }
# An admin session holds placements exclusively; the next COPY waits for it.
psql "$conn" -Xq -c "BEGIN; LOCK TABLE deid.placements IN ACCESS EXCLUSIVE MODE;
	SELECT pg_sleep(120); COMMIT;" >/dev/null 2>&1 &
locker=$!
lock_held() {
	[ "$(sql_value "SELECT count(*) FROM pg_locks WHERE granted AND
		mode = 'AccessExclusiveLock' AND relation = 'deid.placements'::regclass")" = 1 ]
}
pull_waiting() {
	[ "$(sql_value "SELECT count(*) FROM pg_stat_activity WHERE
		application_name = 'casa-metricsd' AND wait_event_type = 'Lock'")" -ge 1 ]
}
release_lock() {
	sql_value "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE query LIKE '%pg_sleep(120)%' AND pid <> pg_backend_pid()" >/dev/null
	wait "$locker" 2>/dev/null || true
}
wait_for 10 lock_held || fail "the lock was not taken"
kill -HUP "$DAEMON_PID" # reload: a full refresh now
wait_for 20 pull_waiting || { release_lock; fail "the refresh did not reach the locked table"; }
kill -TERM "$DAEMON_PID"
term_at=$SECONDS
status=0
wait "$DAEMON_PID" || status=$?
took=$((SECONDS - term_at))
release_lock
[ "$status" -eq 0 ] || fail "SIGTERM during a pull: exit status $status"
# Without the cancel the daemon waits DAEMON_STOP_WAIT_S (10 s) for the pull.
[ "$took" -le 7 ] || fail "SIGTERM during a pull took $took s: the pull was not cancelled"
grep -q "stop: the pull in progress was cancelled" "$log_c" ||
	fail "cancel not logged: $(tail -5 "$log_c")"
if grep -q "still running" "$log_c"; then fail "the daemon left the pull running"; fi
[ "$(sql_value "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'casa-metricsd'")" = 0 ] ||
	fail "a casa-metricsd session outlived the daemon"

##############################################################################
step "A7 an extract that breaks the contract: stale, but the database is up"
port=$(free_port)
start_daemon "$port" --db "$conn_pw" --as-of "$AS_OF" --timezone UTC --refresh 3600 \
	--state-dir "$TEST_TMP/state-c"
log_c=$TEST_TMP/daemon-$port.log
wait_for 30 readyz_fresh "$port" || fail "daemon C never fresh after restart"
sql_value "ALTER TABLE deid.missing_episodes RENAME COLUMN returned_at TO returned_at_x" >/dev/null
kill -HUP "$DAEMON_PID"
wait_for 20 readyz_stale "$port" || fail "/readyz not stale with a broken contract"
[ "$(metric_value "$port" casa_metrics_db_up)" = 1 ] ||
	fail "casa_metrics_db_up must stay 1: the database answers, the extract is wrong"
grep -q "returned_at: column missing (contract)" "$log_c" ||
	fail "contract failure not logged: $(tail -5 "$log_c")"
sql_value "ALTER TABLE deid.missing_episodes RENAME COLUMN returned_at_x TO returned_at" >/dev/null
kill -HUP "$DAEMON_PID"
wait_for 20 readyz_fresh "$port" || fail "no recovery once the contract is whole again"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "daemon C exit status"

##############################################################################
step "B1 private sandbox, database stopped between refreshes"
private_admin=$("$PG" start "$PRIVATE_PG")
private_port=$(cat "$PRIVATE_PG/port")
conn_b=$(create_db "$private_admin" ops_down)
seed "$conn_b" 7
conn_b_pw="$conn_b password=$PASSWORD"
port=$(free_port)
start_daemon "$port" --db "$conn_b_pw" --as-of "$AS_OF" --timezone UTC --refresh 2 \
	--state-dir "$TEST_TMP/state-b"
log_b=$TEST_TMP/daemon-$port.log
wait_for 30 readyz_fresh "$port" || fail "daemon B never fresh"
id_b=$(snapshot_id "$port")
failures_before=$(metric_value "$port" casa_metrics_refresh_failures_total)
"$PG" stop "$PRIVATE_PG"
wait_for 20 readyz_stale "$port" || fail "/readyz not stale with the database down"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ] ||
	fail "/readyz must stay 200 while a stale snapshot is served"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port$TABLE")" = 200 ] ||
	fail "API not 200 while the database is down"
curl -fsS -D - -o /dev/null "http://127.0.0.1:$port$TABLE" | tr -d '\r' |
	grep -qi '^x-casa-stale: *true' || fail "no X-Casa-Stale header while stale"
[ "$(snapshot_id "$port")" = "$id_b" ] || fail "snapshot changed while the database is down"
failures_after=$(metric_value "$port" casa_metrics_refresh_failures_total)
[ "${failures_after:-0}" -gt "${failures_before:-0}" ] ||
	fail "/metrics failures did not grow ($failures_before -> $failures_after)"
[ "$(metric_value "$port" casa_metrics_db_up)" = 0 ] || fail "/metrics casa_metrics_db_up not 0"
[ "$(metric_value "$port" casa_metrics_stale)" = 1 ] || fail "/metrics casa_metrics_stale not 1"
# Logged once per state change, not once per retry.
sleep 5
[ "$(grep -c 'refresh: failed' "$log_b")" -eq 1 ] || fail "failure logged more than once"

step "B2 database back: the daemon recovers"
# Same port as before, so the daemon's conninfo still points at it.
pg_bin=$(pg_config --bindir 2>/dev/null || true)
[ -x "$pg_bin/pg_ctl" ] || pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
restart_private() {
	as_pg "$pg_bin/pg_ctl" -D "$PRIVATE_PG/data" -l "$PRIVATE_PG/server.log" -w -t 60 \
		-o "-p $private_port" start >/dev/null || fail "cannot restart the private sandbox"
}
restart_private
wait_for 90 readyz_fresh "$port" || fail "daemon did not recover: $(tail "$log_b")"
grep -q "refresh: recovered" "$log_b" || fail "recovery not logged"
[ "$(metric_value "$port" casa_metrics_db_up)" = 1 ] || fail "/metrics casa_metrics_db_up not 1 after recovery"

step "B3 kill -9, restart with the database down: persisted snapshot served at once"
id_b=$(snapshot_id "$port")
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
"$PG" stop "$PRIVATE_PG"
port=$(free_port)
started=$SECONDS
start_daemon "$port" --db "$conn_b_pw" --as-of "$AS_OF" --timezone UTC --refresh 2 \
	--state-dir "$TEST_TMP/state-b"
[ $((SECONDS - started)) -le 5 ] || fail "persisted snapshot took $((SECONDS - started)) s"
[ "$(snapshot_id "$port")" = "$id_b" ] || fail "restart did not serve the persisted snapshot"
wait_for 10 readyz_stale "$port" || fail "persisted snapshot not marked stale"

step "B4 corrupted state file: logged, ignored"
kill -9 "$DAEMON_PID"
wait "$DAEMON_PID" 2>/dev/null || true
state_file=$(find "$TEST_TMP/state-b" -name 'snapshot*' -type f | head -n1)
[ -n "$state_file" ] || fail "no persisted snapshot file in the state dir"
size=$(stat -c %s "$state_file")
printf 'corrupted' | dd of="$state_file" bs=1 seek=$((size / 2)) conv=notrunc status=none
port=$(free_port)
"$BIN" --listen "127.0.0.1:$port" --db "$conn_b_pw" --as-of "$AS_OF" --timezone UTC --refresh 2 \
	--state-dir "$TEST_TMP/state-b" >"$TEST_TMP/daemon-corrupt.log" 2>&1 &
DAEMON_PID=$!
TEST_PIDS+=("$DAEMON_PID")
healthy() { curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz"; }
wait_for 10 healthy || fail "daemon did not start over a corrupted state file: $(cat "$TEST_TMP/daemon-corrupt.log")"
[ "$(curl -sS -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 503 ] ||
	fail "a corrupted snapshot was served"
grep -q "snapshot_load: .*refused" "$TEST_TMP/daemon-corrupt.log" || fail "corrupted state file not logged"
restart_private
wait_for 90 readyz_fresh "$port" || fail "not ready after the database came back"
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID" || fail "SIGTERM exit status $?"

step "B5 --once with the database down"
"$PG" stop "$PRIVATE_PG"
if "$BIN" --once --output "$TEST_TMP/once-down" --db "$conn_b_pw" --as-of "$AS_OF" \
	--state-dir "$TEST_TMP/once-down-state" --connect-timeout 2 >"$TEST_TMP/once-down.log" 2>&1; then
	fail "--once succeeded with the database down"
fi
grep -q "cannot read the database" "$TEST_TMP/once-down.log" || fail "unclear --once error: $(cat "$TEST_TMP/once-down.log")"
no_password_in "$TEST_TMP"/*.log

echo "ok: daemon operations"
