# Shared helpers for the integration tests (sourced). Every test gets its own
# database in the shared sandbox ($CASA_PG_DIR, started by the CTest fixture)
# and its own daemon on a free loopback port.
set -euo pipefail

: "${CASA_SOURCE_DIR:?}" "${CASA_BUILD_DIR:?}" "${CASA_PG_DIR:?}"
PG="$CASA_SOURCE_DIR/scripts/pg"
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/casa-test.XXXXXX")
TEST_PIDS=()

cleanup() {
	for pid in "${TEST_PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	exit 1
}

# free_port: prints a loopback TCP port nobody listens on, below the
# kernel's ephemeral range (32768+) so that outgoing connections cannot take it.
free_port() {
	local port
	while :; do
		port=$((15000 + (RANDOM * 32768 + RANDOM) % 17000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null || { echo "$port"; return; }
	done
}

# fresh_db NAME: (re)creates database NAME in the sandbox with the source
# schema and roles; prints its conninfo.
fresh_db() {
	local admin
	admin=$("$PG" conninfo "$CASA_PG_DIR")
	PGOPTIONS="-c client_min_messages=warning" psql "$admin" -XqAt -v ON_ERROR_STOP=1 \
		-c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" \
		-c "CREATE DATABASE $1" >/dev/null
	local conn=${admin/dbname=casa/dbname=$1}
	psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/sql/schema.sql" >/dev/null
	psql "$conn" -Xq -v ON_ERROR_STOP=1 -f "$CASA_SOURCE_DIR/sql/roles.sql" >/dev/null 2>&1
	echo "$conn"
}

# start_daemon PORT ARGS...: starts the daemon in the background (log in
# $TEST_TMP/daemon-PORT.log) and waits until /readyz answers 200: up to
# 120 s (a first refresh of 5,000 children under the sanitizers on a busy
# 2-core machine took over 30 s), less if the daemon exits.
start_daemon() {
	local port=$1
	shift
	"$CASA_BUILD_DIR/casa-metricsd" --listen "127.0.0.1:$port" "$@" \
		>"$TEST_TMP/daemon-$port.log" 2>&1 &
	TEST_PIDS+=($!)
	DAEMON_PID=$!
	for _ in $(seq 1 1200); do
		if curl -fsS -o /dev/null "http://127.0.0.1:$port/readyz" 2>/dev/null; then
			return 0
		fi
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TEST_TMP/daemon-$port.log" >&2
	fail "daemon on port $port did not become ready"
}

# wait_for SECONDS COMMAND...: polls every 0.2 s until COMMAND succeeds.
wait_for() {
	local deadline=$((SECONDS + $1))
	shift
	while [ $SECONDS -lt $deadline ]; do
		"$@" && return 0
		sleep 0.2
	done
	return 1
}

# json FILTER FILE: jq wrapper that fails loudly.
json() {
	jq -er "$1" "$2" || fail "jq '$1' on $2: $(head -c 400 "$2")"
}
