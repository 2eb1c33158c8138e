#!/usr/bin/env bash
# HTTP benchmark: casa-metricsd side by side with nginx serving the very same
# bytes from files, measured with wrk (and bench_poll for the 304 path). Cases:
# a typical table (identity and gzip), the summary, and the 304 revalidation of
# the table (the common case: nothing changed). Prints figures only; it is not
# a test.
#
#   bench/http.sh [BUILD_DIR] [SECONDS]     (defaults: build, 5)
#
# By default it serves the hand-built fixture snapshot
# (tests/tools/casa-serve-fixture). With CASA_BASE=http://127.0.0.1:PORT it
# measures a casa-metricsd that is already running instead (bench/run points
# it at a daemon serving a seeded database, and at one that refreshes
# meanwhile).
#
# nginx (bench/nginx.conf.in) serves the table body and the summary that
# casa-metricsd sent, identity and gzip (a precomputed .gz via gzip_static),
# at the same paths. Goal (issue 15): casa/nginx >= 1.
#
# Environment:
#   CASA_BASE      a running casa-metricsd to measure (default: start the fixture)
#   CONNECTIONS    connection counts to run each case at (default "16")
#   WRK_THREADS    wrk and bench_poll threads (default 2)
#   NGINX_WORKERS  nginx worker processes (default 2)
#   HTTP_TSV       append one tab-separated line per case and connection count:
#                  label case connections casa_rps nginx_rps casa/nginx
#                  casa_p99_ms nginx_p99_ms casa_bytes nginx_bytes warnings
#   HTTP_LABEL     the label column of HTTP_TSV (default "http")
#
# Keep it modest on a shared machine: wrk, both servers and PostgreSQL share
# the cores, so the client's own cost is in every figure (on two cores
# the client takes about one of them). Loopback only. If nginx is not
# installed the casa-metricsd figures are still printed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
seconds=${2:-5}
fixture="$build/casa-serve-fixture"
poll=$build/bench_poll
workers=${NGINX_WORKERS:-2}
threads=${WRK_THREADS:-2}
connections=${CONNECTIONS:-16}
label=${HTTP_LABEL:-http}
nginx_bin=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
command -v wrk >/dev/null || { echo "bench/http.sh: wrk not installed (apt-get install wrk)" >&2; exit 2; }
command -v curl >/dev/null || { echo "bench/http.sh: curl not installed" >&2; exit 2; }
[ -n "${CASA_BASE:-}" ] || [ -x "$fixture" ] ||
	{ echo "bench/http.sh: build casa-serve-fixture first" >&2; exit 2; }
# 512 connections to each of two servers, and their sockets.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

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

if [ -n "${CASA_BASE:-}" ]; then
	base=${CASA_BASE%/}
	port=${base##*:}
else
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
fi

path="/api/v1/metrics/runaway_discharges_pct"
query="?by=county"
table="$base$path$query"
summary_path="/api/v1/summary"
etag=$(curl -s -D - -o /dev/null "$table" | sed -n 's/^[Ee][Tt]ag: *//p' | tr -d '\r')
[ -n "$etag" ] || { echo "bench/http.sh: $table answers without an ETag" >&2; exit 1; }

# --- nginx serving the same bytes from a file -------------------------------
nginx_ok=''
# fetch URL FILE: the body as casa-metricsd sends it, identity and gzip (no
# --compressed: the gzip bytes are stored as they came).
fetch() {
	curl -sf -o "$2" "$1" &&
		curl -sf -D "$tmp/gz.h" -o "$2.gz" -H 'Accept-Encoding: gzip' "$1" &&
		grep -qi '^content-encoding: *gzip' "$tmp/gz.h" &&
		touch -r "$2" "$2.gz" # same mtime: nginx's ETags stay stable
}
start_nginx() {
	[ -x "$nginx_bin" ] || { echo "bench/http.sh: nginx not found; casa-metricsd figures only" >&2; return 1; }
	mkdir -p "$tmp/www$(dirname "$path")"
	fetch "$table" "$tmp/www$path" ||
		{ echo "bench/http.sh: no gzip table from casa-metricsd" >&2; return 1; }
	fetch "$base$summary_path" "$tmp/www$summary_path" ||
		{ echo "bench/http.sh: no gzip summary from casa-metricsd" >&2; return 1; }
	# Running as root: nginx's workers would switch to "nobody", which cannot
	# enter the 0700 mktemp directory (and Debian has no "nobody" group for a
	# bare "user nobody;"), so keep the workers as root: they only read
	# files in our temp dir and listen on loopback for a few seconds. As
	# another user the master cannot switch users anyway and needs no line.
	local user_line='# not root: workers run as the invoking user'
	[ "$(id -u)" -eq 0 ] && user_line='user root;'
	for _ in 1 2 3 4 5; do
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
	same() { curl -sf -o "$tmp/n" "$@" && cmp -s "$tmp/n" "$tmp/cmp"; }
	cp "$tmp/www$path" "$tmp/cmp" && same "$ntable" &&
		cp "$tmp/www$path.gz" "$tmp/cmp" && same -H 'Accept-Encoding: gzip' "$ntable" &&
		cp "$tmp/www$summary_path" "$tmp/cmp" && same "$nbase$summary_path" &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $netag" "$ntable")" = 304 ] &&
		[ "$(curl -s -o /dev/null -w '%{http_code}' -H "If-None-Match: $etag" "$table")" = 304 ] &&
		nginx_ok=1 || echo "bench/http.sh: nginx does not serve the same bytes/304; casa-metricsd figures only" >&2
fi

# --- measuring ---------------------------------------------------------------
# wrk prints latencies as 512.00us, 1.23ms or 1.02s: milliseconds.
to_ms() {
	awk -v v="$1" 'BEGIN {
		m = 1
		if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1; else if (v ~ /m$/) m = 60000; else if (v ~ /s$/) m = 1000
		sub(/(us|ms|s|m)$/, "", v); if (v == "") print "n/a"; else printf "%.2f", v * m }'
}

bench() { # bench CONNS URL [HEADER] -> sets rps, p99 (ms), bytes (per response), errs
	local conns=$1 url=$2
	shift 2
	local args=(-t "$threads" -c "$conns" -d "${seconds}s" --timeout 10s --latency)
	[ $# -gt 0 ] && args+=(-H "$1")
	wrk "${args[@]}" "$url" >"$tmp/wrk" 2>&1 || true
	rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk")
	rps=${rps:-0}
	p99=$(to_ms "$(awk '$1 == "99%" {print $2}' "$tmp/wrk")")
	# "N requests in Xs, Y.YYMB read": bytes per response, headers included.
	bytes=$(awk '/requests in/ {
		n = $1; v = $5; m = 1
		if (v ~ /KB$/) m = 1024; else if (v ~ /MB$/) m = 1048576; else if (v ~ /GB$/) m = 1073741824
		sub(/[KMG]?B$/, "", v); if (n > 0) printf "%d", v * m / n }' "$tmp/wrk")
	errs=$(awk '/Non-2xx|Socket errors/ {sub(/^ +/, ""); printf "%s; ", $0}' "$tmp/wrk")
}

poll304() { # poll304 CONNS HOST PORT PATH ETAG -> sets rps, p99, errs
	local out
	out=$("$poll" "$2" "$3" "$4" "$5" "$1" "$seconds" "$threads" || true)
	rps=$(awk '{print $1}' <<<"$out")
	rps=${rps:-0}
	p99=$(sed -n 's/.* p99 \([0-9.]*\)ms.*/\1/p' <<<"$out")
	p99=${p99:-n/a}
	bytes=''
	errs=$(sed -n 's/.*answers, \([1-9][0-9]*\) errors.*/\1 errors; /p' <<<"$out")
}

row() { # row CASE CONNS casa(rps p99 bytes errs) nginx(rps p99 bytes errs)
	local name=$1 conns=$2 crps=$3 cp99=$4 cbytes=$5 cerrs=$6 nrps=$7 np99=$8 nbytes=$9 nerrs=${10}
	local ratio
	ratio=$(awk -v a="$crps" -v b="$nrps" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }')
	# nothing completed: say so instead of printing a zero as a figure
	if awk -v a="$crps" 'BEGIN { exit !(a == 0) }'; then crps=n/a cp99=n/a; fi
	if awk -v a="$nrps" 'BEGIN { exit !(a == 0) }'; then nrps=n/a np99=n/a; fi
	printf '%-18s %5s %11s %11s %7s %9s %9s %7s %7s\n' "$name" "$conns" "$crps" "$nrps" \
		"$ratio" "$cp99" "$np99" "${cbytes:--}" "${nbytes:--}"
	local warn=''
	[ -z "$cerrs$nerrs" ] || warn="casa: ${cerrs:-none} nginx: ${nerrs:-none}"
	[ -z "$warn" ] || echo "  warning: $warn"
	if [ -n "${HTTP_TSV:-}" ]; then
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$name" "$conns" "$crps" \
			"$nrps" "$ratio" "$cp99" "$np99" "${cbytes:--}" "${nbytes:--}" "$warn" >>"$HTTP_TSV"
	fi
}

side() { # side CASE CONNS CASA_URL NGINX_URL [HEADER]
	local name=$1 conns=$2 curl_=$3 nurl=$4
	shift 4
	bench "$conns" "$curl_" "$@"
	local c=("$rps" "$p99" "$bytes" "$errs")
	if [ -n "$nginx_ok" ]; then
		bench "$conns" "$nurl" "$@"
	else
		rps=0 p99=n/a bytes='' errs=''
	fi
	row "$name" "$conns" "${c[@]}" "$rps" "$p99" "$bytes" "$errs"
}

echo "HTTP benchmark ($label): ${seconds}s per case, wrk -t$threads, $(nproc) cores, casa-metricsd at $base"
if [ -n "$nginx_ok" ]; then
	echo "side by side with $("$nginx_bin" -v 2>&1 | sed 's/^nginx version: //') ($workers workers," \
		"bodies from files: table $(wc -c <"$tmp/www$path") B identity / $(wc -c <"$tmp/www$path.gz") B gzip," \
		"summary $(wc -c <"$tmp/www$summary_path") B)"
else
	echo "casa-metricsd only"
fi
printf '%-18s %5s %11s %11s %7s %9s %9s %7s %7s\n' "case" "conns" "casa req/s" "nginx req/s" \
	"casa/ng" "casa p99" "ngx p99" "casa B" "ngx B"
for conns in $connections; do
	side "table" "$conns" "$table" "${ntable:-}"
	side "table gzip" "$conns" "$table" "${ntable:-}" "Accept-Encoding: gzip"
	side "summary" "$conns" "$base$summary_path" "${nbase:-}$summary_path"
	# The 304 path with bench_poll: wrk 4.1's bundled http_parser frames a
	# 304 by its Content-Length, so a 304 that keeps the 200's length (RFC
	# 9110 section 8.6 allows it; casa-metricsd does, nginx sends none)
	# stalls every wrk connection. bench_poll reads a 304 as headers only.
	if [ -x "$poll" ]; then
		poll304 "$conns" 127.0.0.1 "$port" "$path$query" "$etag"
		c=("$rps" "$p99" "$bytes" "$errs")
		if [ -n "$nginx_ok" ]; then
			poll304 "$conns" 127.0.0.1 "$nport" "$path$query" "$netag"
		else
			rps=0 p99=n/a bytes='' errs=''
		fi
		row "table 304" "$conns" "${c[@]}" "$rps" "$p99" "$bytes" "$errs"
	else
		echo "table 304: build bench_poll (cmake --build BUILD_DIR --target bench_poll) to measure it"
	fi
done
echo "(p99 in ms; B = bytes per response on the wire, headers included; 304 by bench_poll)"
if [ -z "${CASA_BASE:-}" ]; then
	for conns in $connections; do
		bench "$conns" "$base/api/v1/metrics/runaway_discharges_pct?period_type=quarter&from=2025-Q1&to=2025-Q2"
		printf '%-28s %5s %12s req/s   p99 %-8s %s\n' "table slice from/to" "$conns" "$rps" "$p99" "$errs"
		bench "$conns" "$base/healthz"
		printf '%-28s %5s %12s req/s   p99 %-8s %s\n' "healthz" "$conns" "$rps" "$p99" "$errs"
	done
fi
