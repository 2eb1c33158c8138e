#!/usr/bin/env bash
# HTTP benchmark: serves the hand-built fixture snapshot
# (tests/tools/casa-serve-fixture) and measures with wrk how many polls per
# second a widget workload gets: a full table (identity and gzip), a 304
# revalidation (the common case: nothing changed), a from/to slice and
# /healthz. Prints figures only; it is not a test.
#
#   bench/http.sh [BUILD_DIR] [SECONDS]     (defaults: build, 5)
#
# Keep it modest on a shared machine: 2 wrk threads, 16 connections.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-5}
fixture="$build/casa-serve-fixture"
command -v wrk >/dev/null || { echo "bench/http.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }
[ -x "$fixture" ] || { echo "bench/http.sh: build casa-serve-fixture first" >&2; exit 2; }

tmp=$(mktemp -d)
pid=''
cleanup() {
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT

for _ in 1 2 3 4 5 6 7 8 9 10; do
	port=$((20000 + (RANDOM * 32768 + RANDOM) % 30000))
	"$fixture" "$port" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	for _ in $(seq 50); do
		grep -q ready "$tmp/out" 2>/dev/null && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	grep -q ready "$tmp/out" && break
	wait "$pid" 2>/dev/null || true
	pid=''
done
[ -n "$pid" ] || { echo "bench/http.sh: cannot start the fixture" >&2; exit 1; }

base="http://127.0.0.1:$port"
table="$base/api/v1/metrics/runaway_discharges_pct?by=county"
etag=$(curl -s -D - -o /dev/null "$table" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')

run() { # run NAME URL [HEADER]
	local name=$1 url=$2
	shift 2
	local args=(-t 2 -c 16 -d "${seconds}s" --latency)
	[ $# -gt 0 ] && args+=(-H "$1")
	wrk "${args[@]}" "$url" >"$tmp/wrk" 2>&1
	local rps p99
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
	printf '%-28s %12s req/s   p99 %s\n' "$name" "$rps" "$p99"
}

echo "casa-metricsd HTTP benchmark: ${seconds}s per case, wrk -t2 -c16, $(nproc) cores"
run "table (identity)" "$table"
run "table (gzip)" "$table" "Accept-Encoding: gzip"
run "table 304 (If-None-Match)" "$table" "If-None-Match: $etag"
run "table slice from/to" "$base/api/v1/metrics/runaway_discharges_pct?period_type=quarter&from=2025-Q1&to=2025-Q2"
run "summary" "$base/api/v1/summary"
run "healthz" "$base/healthz"
