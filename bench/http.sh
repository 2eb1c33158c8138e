#!/usr/bin/env bash
# HTTP benchmark: serves the hand-built fixture snapshot
# (tests/tools/casa-serve-fixture) and measures with wrk how many polls per
# second a widget workload gets: a full table (identity and gzip), a 304
# revalidation (the common case: nothing changed), a from/to slice and
# /healthz. Prints figures only; it is not a test.
#
# Side by side, the same run starts an unprivileged-as-possible nginx
# (bench/nginx.conf.in) serving the very same table body from a file (and the
# same body gzipped, as a precomputed .gz via gzip_static) at the same path,
# and prints casa-metricsd req/s, nginx req/s and their ratio for the full
# table (identity, gzip) and the 304 path. Goal: casa/nginx >= 1.
#
#   bench/http.sh [BUILD_DIR] [SECONDS]     (defaults: build, 5)
#
# Keep it modest on a shared machine: 2 wrk threads, 16 connections; both
# servers get 2 workers (the fixture runs a 2-thread pool). Loopback only.
# If nginx is not installed the casa-metricsd figures are still printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-5}
fixture="$build/casa-serve-fixture"
workers=2
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
command -v wrk >/dev/null || { echo "bench/http.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench/http.sh: curl not installed" >&2; exit 2; }
[ -x "$fixture" ] || { echo "bench/http.sh: build casa-serve-fixture first" >&2; exit 2; }

tmp=$(mktemp -d)
pid=''
npid=''
cleanup() {
	# Only the processes this script started, by PID.
	if [ -n "$npid" ]; then kill "$npid" 2>/dev/null || true; fi
	if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; fi
	wait 2>/dev/null || true
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port below 32768 (clear of the usual ephemeral range) that nobody
# answers on; the servers below still retry if they lose a race for it.
free_port() {
	local p
	for _ in $(seq 100); do
		p=$((15000 + RANDOM % 17000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

for _ in 1 2 3 4 5 6 7 8 9 10; do
	port=$(free_port)
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
path="/api/v1/metrics/runaway_discharges_pct"
query="?by=county"
table="$base$path$query"
etag=$(curl -s -D - -o /dev/null "$table" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')

# --- nginx serving the same bytes from a file -------------------------------
nginx_ok=''
start_nginx() {
	[ -x "$nginx_bin" ] || { echo "bench/http.sh: nginx not found; casa-metricsd figures only" >&2; return 1; }
	mkdir -p "$tmp/www$(dirname "$path")"
	local body="$tmp/www$path"
	# The exact table body, identity and gzip, as casa-metricsd sends it
	# (no --compressed: the gzip bytes are stored as they came).
	curl -sf -o "$body" "$table"
	curl -sf -D "$tmp/gz.h" -o "$body.gz" -H 'Accept-Encoding: gzip' "$table"
	grep -qi '^content-encoding: *gzip' "$tmp/gz.h" ||
		{ echo "bench/http.sh: fixture did not send gzip" >&2; return 1; }
	# Both files get the same mtime so nginx's ETags are stable.
	touch -r "$body" "$body.gz"
	# Running as root: nginx's workers would switch to "nobody", which cannot
	# enter the 0700 mktemp directory (and Debian has no "nobody" group for a
	# bare "user nobody;"), so keep the workers as root: they only read two
	# files in our temp dir and listen on loopback for a few seconds. As
	# another user the master cannot switch users anyway and needs no line.
	local user_line='# not root: workers run as the invoking user'
	[ "$(id -u)" -eq 0 ] && user_line='user root;'
	local attempt
	for attempt in 1 2 3 4 5; do
		nport=$(free_port)
		sed -e "s|@TMP@|$tmp|g" -e "s|@PORT@|$nport|g" -e "s|@WORKERS@|$workers|g" \
		    -e "s|@USER@|$user_line|g" "$root/bench/nginx.conf.in" >"$tmp/nginx.conf"
		: >"$tmp/nginx-error.log"
		# daemon off: $! is the master; killing it stops its workers.
		"$nginx_bin" -p "$tmp/" -e "$tmp/nginx-error.log" -c "$tmp/nginx.conf" \
			>"$tmp/nginx.out" 2>&1 &
		npid=$!
		for _ in $(seq 50); do
			curl -s -o /dev/null "http://127.0.0.1:$nport/" 2>/dev/null && return 0
			kill -0 "$npid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$npid" 2>/dev/null || true
		wait "$npid" 2>/dev/null || true
		npid=''
	done
	echo "bench/http.sh: cannot start nginx:" >&2
	cat "$tmp/nginx.out" "$tmp/nginx-error.log" >&2
	return 1
}

if start_nginx; then
	nbase="http://127.0.0.1:$nport"
	ntable="$nbase$path$query"
	netag=$(curl -s -D - -o /dev/null "$ntable" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
	# Same bytes from both, or the comparison means nothing.
	curl -sf -o "$tmp/n.body" "$ntable" && cmp -s "$tmp/n.body" "$tmp/www$path" &&
	curl -sf -o "$tmp/n.body.gz" -H 'Accept-Encoding: gzip' "$ntable" &&
	cmp -s "$tmp/n.body.gz" "$tmp/www$path.gz" &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $netag" "$ntable")" = 304 ] &&
	[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$table")" = 304 ] &&
		nginx_ok=1 || echo "bench/http.sh: nginx does not serve the same bytes/304; casa-metricsd figures only" >&2
fi

# --- measuring ---------------------------------------------------------------
bench() { # bench URL [HEADER] -> sets rps, p99, bytes (per response), errs
	local url=$1
	shift
	local args=(-t 2 -c 16 -d "${seconds}s" --latency)
	[ $# -gt 0 ] && args+=(-H "$1")
	wrk "${args[@]}" "$url" >"$tmp/wrk" 2>&1
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
	p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk")
	# "N requests in Xs, Y.YYMB read": bytes per response, headers included.
	bytes=$(awk '/requests in/ {
		n = $1; v = $5; m = 1
		if (v ~ /KB$/) m = 1024; else if (v ~ /MB$/) m = 1048576; else if (v ~ /GB$/) m = 1073741824
		sub(/[KMG]?B$/, "", v); if (n > 0) printf "%d", v * m / n }' "$tmp/wrk")
	errs=$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' "$tmp/wrk")
}

run() { # run NAME URL [HEADER]  (casa-metricsd only)
	local name=$1
	shift
	bench "$@"
	printf '%-28s %12s req/s   p99 %-8s %s\n' "$name" "$rps" "$p99" "$errs"
}

side() { # side NAME CASA_HEADER NGINX_HEADER  (full table, both servers)
	local name=$1 ch=$2 nh=$3
	local crps cp99 cbytes cerrs
	if [ -n "$ch" ]; then bench "$table" "$ch"; else bench "$table"; fi
	crps=$rps cp99=$p99 cbytes=$bytes cerrs=$errs
	if [ -n "$nh" ]; then bench "$ntable" "$nh"; else bench "$ntable"; fi
	local ratio
	ratio=$(awk -v a="$crps" -v b="$rps" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }')
	# wrk completed nothing: say so instead of printing a zero as a figure.
	if awk -v a="$crps" 'BEGIN { exit !(a == 0) }'; then crps=n/a cp99=n/a cbytes=n/a; fi
	if awk -v a="$rps" 'BEGIN { exit !(a == 0) }'; then rps=n/a p99=n/a bytes=n/a; fi
	printf '%-26s %11s %11s %7s %9s %9s %6s %6s\n' "$name" "$crps" "$rps" "$ratio" \
		"$cp99" "$p99" "$cbytes" "$bytes"
	[ -z "$cerrs$errs" ] || echo "  warning: casa: ${cerrs:-none} nginx: ${errs:-none}"
}

echo "casa-metricsd HTTP benchmark: ${seconds}s per case, wrk -t2 -c16, $(nproc) cores"
if [ -n "$nginx_ok" ]; then
	echo "side by side with $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //') ($workers workers," \
		"body from a file, $(wc -c <"$tmp/www$path") B identity / $(wc -c <"$tmp/www$path.gz") B gzip)"
	printf '%-26s %11s %11s %7s %9s %9s %6s %6s\n' "case" "casa req/s" "nginx req/s" \
		"casa/ng" "casa p99" "nginx p99" "casa B" "ngx B"
	side "table (identity)" "" ""
	side "table (gzip)" "Accept-Encoding: gzip" "Accept-Encoding: gzip"
	echo "(B = bytes per response on the wire, headers included)"
	# The 304 path with bench_poll: wrk 4.1's bundled http_parser frames a
	# 304 by its Content-Length, so a 304 that keeps the 200's length (RFC
	# 9110 section 8.6 allows it; casa-metricsd does, nginx sends none)
	# stalls every wrk connection. bench_poll reads a 304 as headers only.
	poll=$build/bench_poll
	if [ -x "$poll" ]; then
		c304=$("$poll" 127.0.0.1 "$port" "${table#"$base"}" "$etag" 16 "$seconds" | awk '{print $1}')
		n304=$("$poll" 127.0.0.1 "$nport" "${ntable#"$nbase"}" "$netag" 16 "$seconds" | awk '{print $1}')
		printf '%-26s %11s %11s %7s   (bench_poll, 16 keep-alive connections)\n' \
			"table 304 (If-None-Match)" "$c304" "$n304" \
			"$(awk -v a="$c304" -v b="$n304" 'BEGIN { printf "%.2f", a / b }')"
	else
		echo "table 304: build bench_poll (cmake --build BUILD_DIR --target bench_poll) to measure it"
	fi
	echo
	echo "casa-metricsd only:"
else
	run "table (identity)" "$table"
	run "table (gzip)" "$table" "Accept-Encoding: gzip"
	[ -x "$build/bench_poll" ] &&
		printf '%-28s %s\n' "table 304 (bench_poll)" \
			"$("$build/bench_poll" 127.0.0.1 "$port" "${table#"$base"}" "$etag" 16 "$seconds")"
fi
run "table slice from/to" "$base/api/v1/metrics/runaway_discharges_pct?period_type=quarter&from=2025-Q1&to=2025-Q2"
run "summary" "$base/api/v1/summary"
run "healthz" "$base/healthz"
