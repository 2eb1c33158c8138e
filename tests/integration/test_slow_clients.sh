#!/usr/bin/env bash
# Slow clients (issue 16, row 5): 1,100 connections from 30 addresses, each
# sending one byte a second, kept a normal request unanswered for 60 s (the
# 1,024 connection limit was full and nothing bounded the time a client may
# take for its request). Now a connection has http_header_timeout (10 s)
# for a whole request, and connections waiting for one may fill only 7/8 of
# http_connection_limit: a new connection beyond that shuts the one that has
# waited longest.
#
#   A  the defaults (limit 4096): 2000 slow connections from 50 loopback
#      addresses (40 each, under the per-address limit of 64) for 20 s.
#   B  http_connection_limit = 1024, the old default, which 2000 slow
#      connections overfill: the guard shuts the longest waiting.
#
# In both, a normal client (127.0.0.1) asks for a table on a new connection
# every 50 ms; every answer must be a 200 and the 99th percentile under
# 100 ms (the goal of issue 16; on this 2-core machine, shared with other
# jobs, the figure is a few ms, see bench/RESULTS.md). bench_slow_clients
# (bench/bench_slow_clients.c) is both the attacker and the normal client.
source "$(dirname "$0")/lib.sh"

SLOW="$CASA_BUILD_DIR/bench_slow_clients"
[ -x "$SLOW" ] || fail "build bench_slow_clients first (cmake --build build)"
AS_OF=2025-06-30
TABLE='/api/v1/metrics/runaway_episodes_per_1000_days?period_type=year'
SLOW_CONNECTIONS=2000
ADDRESSES=50
SECONDS_PER_RUN=20

# 2000 slow sockets here, up to 4096 + the daemon's own in the daemon.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 8192 ] || { echo "SKIP: open-file limit $(ulimit -n) < 8192" >&2; exit 77; }

FAILS=0
ok() { echo "ok: $*"; }
check() { # check NAME CONDITION-AS-AWK VALUE
	if awk -v v="$3" "BEGIN { exit !($2) }"; then ok "$1 ($3)"; else
		echo "FAIL: $1: $3 does not satisfy $2" >&2
		FAILS=$((FAILS + 1))
	fi
}
figure() { awk -v k="$1" '$1 == k { print $2 }' "$2"; }
metric() { # metric PORT NAME{LABELS}
	curl -fsS "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2 }'
}

conn=$(fresh_db slow_clients)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 300 \
	--seed 16 --as-of "$AS_OF" >"$TEST_TMP/seed.log" 2>&1 || { cat "$TEST_TMP/seed.log" >&2; fail "seeding"; }

# run NAME DAEMON-ARGS...: a daemon, the slow clients against it, its
# /metrics afterwards; figures in $TEST_TMP/NAME.txt.
run() {
	local name=$1 port
	shift
	port=$(free_port)
	mkdir -p "$TEST_TMP/state-$name"
	start_daemon "$port" --db "$conn" --as-of "$AS_OF" --state-dir "$TEST_TMP/state-$name" "$@"
	curl -fsS -o /dev/null "http://127.0.0.1:$port$TABLE" || fail "$name: the table does not answer"
	echo "--- $name: $SLOW_CONNECTIONS slow connections from $ADDRESSES addresses, ${SECONDS_PER_RUN}s" >&2
	"$SLOW" "$port" --slow "$SLOW_CONNECTIONS" --addresses "$ADDRESSES" \
		--seconds "$SECONDS_PER_RUN" --path "$TABLE" >"$TEST_TMP/$name.txt" ||
		fail "$name: bench_slow_clients failed"
	cat "$TEST_TMP/$name.txt" >&2
	echo "deadline $(metric "$port" 'casa_metrics_http_connections_shut_total{reason="deadline"}')" >>"$TEST_TMP/$name.txt"
	echo "room $(metric "$port" 'casa_metrics_http_connections_shut_total{reason="room"}')" >>"$TEST_TMP/$name.txt"
	kill -TERM "$DAEMON_PID"
	wait "$DAEMON_PID" || fail "$name: exit status after SIGTERM"
	cp "$TEST_TMP/daemon-$port.log" "$TEST_TMP/$name.log"
}

# --- A: the defaults ----------------------------------------------------------
run defaults
A="$TEST_TMP/defaults.txt"
check "A: the slow clients connected" 'v >= 2000' "$(figure slow_connects "$A")"
check "A: every probe answered 200" 'v == 0' "$(figure probe_failures "$A")"
check "A: probes made (one per 50 ms for ~15 s)" 'v >= 100' "$(figure probes "$A")"
check "A: probe p99 < 100 ms" 'v < 100' "$(figure probe_p99_ms "$A")"
# Each of the 2000 connections opened at the start is shut at its 10 s
# deadline; opened again one tick (1 s) later, its next deadline is past
# 11 + 10 = 21 s, after the 20 s run: exactly 2000 shut at the deadline,
# none to make room (2000 waiting < 4096 - 4096/8 = 3584).
check "A: slow connections shut by the server" 'v == 2000' "$(figure slow_closed_by_server "$A")"
check "A: shut at the deadline (/metrics)" 'v == 2000' "$(figure deadline "$A")"
check "A: shut for room (/metrics)" 'v == 0' "$(figure room "$A")"
# 10 s from connect() (never after the accept) to the shutdown; the guard
# looks every 100 ms, the client every 20 ms: 10.0 .. 10.12 s, 11 allowed
# for a busy machine.
check "A: shortest life = the 10 s deadline" 'v >= 9.99' "$(figure slow_lifetime_min_s "$A")"
check "A: longest life = the 10 s deadline" 'v >= 9.99 && v <= 11' "$(figure slow_lifetime_max_s "$A")"
grep -q 'slow clients: shut' "$TEST_TMP/defaults.log" && ok "A: the shut connections are logged" ||
	{ echo "FAIL: A: no 'slow clients' line in the log" >&2; FAILS=$((FAILS + 1)); }

# --- B: the old limit, overfilled ---------------------------------------------
run limit1024 --http-connection-limit 1024
B="$TEST_TMP/limit1024.txt"
check "B: every probe answered 200" 'v == 0' "$(figure probe_failures "$B")"
check "B: probes made" 'v >= 100' "$(figure probes "$B")"
check "B: probe p99 < 100 ms" 'v < 100' "$(figure probe_p99_ms "$B")"
check "B: slow connections shut to make room (/metrics)" 'v > 1000' "$(figure room "$B")"
# 1024 - 1024/8 = 896 may wait; the rest of the 2000 are shut as new ones
# come, long before the 10 s deadline. The client counts a connection open
# from its handshake to its noticing the shutdown (sampled every 100 ms,
# while ~1100 reconnect each second): 896 and a few, not 2000.
check "B: slow connections held: 896 and a few" 'v >= 800 && v <= 960' "$(figure slow_open_mean "$B")"
check "B: shut before the deadline" 'v > 0 && v < 5' "$(figure slow_lifetime_median_s "$B")"

if [ "$FAILS" -ne 0 ]; then
	echo "$FAILS check(s) failed" >&2
	exit 1
fi
echo "all slow-client checks passed"
