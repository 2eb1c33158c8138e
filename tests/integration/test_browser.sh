#!/usr/bin/env bash
# Real-browser test of the dashboard (issue "Dashboards"), against the real
# daemon on a seeded database, with Debian packages only (python3-selenium
# drives /usr/bin/chromium through /usr/bin/chromedriver; nothing comes from
# a language registry, so a fresh machine runs it):
#   1. the packages are there, or the test fails naming the missing one
#      (scripts/deps.sh installs them; this script installs nothing);
#   2. a database browser_test in the sandbox $CASA_PG_DIR, seeded with 3000
#      synthetic children and small counties (so some cells are suppressed);
#   3. casa-metricsd on a free loopback port serving dashboards/;
#   4. the Grafana dashboard JSON checked against the daemon's catalog;
#   5. tests/browser/dashboard_test.py: page numbers = API numbers, pickers,
#      suppressed cells, no console error, screenshots (laptop and phone),
#      the laptop one copied to docs/dashboard.png when
#      CASA_UPDATE_SCREENSHOT=1 (so that a test run leaves the tree clean);
#   6. the daemon restarted on its persisted snapshot with the database
#      unreachable: the page must say "stale";
#   7. the daemon restarted with a bearer token: the page asks for it, refuses
#      a wrong one, then works, CSV download included.
# Env (set by CTest): CASA_SOURCE_DIR, CASA_BUILD_DIR, CASA_PG_DIR.
set -euo pipefail

src=${CASA_SOURCE_DIR:?CASA_SOURCE_DIR is not set}
build=${CASA_BUILD_DIR:?CASA_BUILD_DIR is not set}
pgdir=${CASA_PG_DIR:?CASA_PG_DIR is not set}
browser_dir=$src/tests/browser
as_of=2025-06-30
# Debian's interpreter, whatever python3 comes first on PATH: the selenium
# module is in its dist-packages only.
python=/usr/bin/python3

fail() {
	echo "test_browser: FAIL: $*" >&2
	exit 1
}

need() { # file package
	[ -x "$1" ] || fail "$1 is missing: install the Debian package $2 (scripts/deps.sh installs it)"
}
need "$python" python3
"$python" -c 'import selenium' 2>/dev/null ||
	fail "the Python module selenium is missing: install the Debian package python3-selenium (scripts/deps.sh installs it)"
need /usr/bin/chromium chromium
need /usr/bin/chromedriver chromium-driver
# chromedriver drives only the Chromium of its own release.
major_version() { # "Chromium 156.0.8078.114 ..." -> 156
	"$1" --version 2>/dev/null | sed -nE 's/^[A-Za-z]+ ([0-9]+)\..*/\1/p'
}
browser_major=$(major_version /usr/bin/chromium)
driver_major=$(major_version /usr/bin/chromedriver)
if [ -z "$browser_major" ] || [ "$browser_major" != "$driver_major" ]; then
	fail "chromium ${browser_major:-?} and chromium-driver ${driver_major:-?} differ: upgrade both (apt-get install chromium chromium-driver)"
fi
[ -x "$build/casa-metricsd" ] || fail "$build/casa-metricsd is not built"
[ -x "$src/scripts/seed" ] || fail "scripts/seed is missing"

free_port() {
	"$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

tmp=$(mktemp -d /tmp/casa-browser.XXXXXX)
daemon_pid=""
cleanup() {
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill "$daemon_pid" 2>/dev/null || true
		wait "$daemon_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

# A database of its own, so other integration tests keep theirs.
PGOPTIONS='-c client_min_messages=warning' "$src/scripts/pg" psql "$pgdir" -q \
	-c 'drop database if exists browser_test with (force)' >/dev/null
"$src/scripts/pg" psql "$pgdir" -q -c 'create database browser_test' >/dev/null
# In a libpq conninfo the last dbname wins.
conninfo="$("$src/scripts/pg" conninfo "$pgdir") dbname=browser_test"

# The generator of this build tree, not whichever build*/ seed finds first.
[ -x "$build/casa-gen" ] && export CASA_GEN=${CASA_GEN:-$build/casa-gen}
echo "test_browser: seeding browser_test (3000 children, seed 11, small counties)" >&2
"$src/scripts/seed" "$conninfo" --children 3000 --seed 11 --as-of "$as_of" --small-counties \
	>"$tmp/seed.log" 2>&1 || { cat "$tmp/seed.log" >&2; fail "scripts/seed failed"; }

port=$(free_port)
base="http://127.0.0.1:$port/"
mkdir -p "$tmp/state"
"$build/casa-metricsd" --db "$conninfo" --listen "127.0.0.1:$port" --as-of "$as_of" \
	--state-dir "$tmp/state" --dashboard-dir "$src/dashboards" >"$tmp/daemon.log" 2>&1 &
daemon_pid=$!

# The first snapshot: /readyz answers 200 once it is served (SPEC §6).
ready=0
for _ in $(seq 1 240); do
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; fail "the daemon exited"; }
	code=$(curl -s -o /dev/null -w '%{http_code}' "${base}readyz" || true)
	if [ "$code" = 200 ]; then
		ready=1
		break
	fi
	sleep 0.5
done
[ "$ready" = 1 ] || { cat "$tmp/daemon.log" >&2; fail "/readyz not 200 after 120 s"; }

# The page itself is served at / with an HTML content type.
ctype=$(curl -s -o /dev/null -w '%{content_type}' "$base")
case "$ctype" in text/html*) ;; *) fail "GET / answered Content-Type '$ctype'" ;; esac

echo "test_browser: checking dashboards/grafana/casa-metricsd.json" >&2
CASA_BASE_URL=$base "$python" "$browser_dir/grafana_check.py" "$src/dashboards/grafana/casa-metricsd.json" ||
	fail "the Grafana dashboard does not match the API"

echo "test_browser: running the browser test against $base" >&2
docs_shot=""
[ "${CASA_UPDATE_SCREENSHOT:-0}" = 1 ] && docs_shot="$src/docs/dashboard.png"
CASA_BASE_URL=$base CASA_DOCS_SCREENSHOT="$docs_shot" \
	"$python" "$browser_dir/dashboard_test.py" || { tail -n 20 "$tmp/daemon.log" >&2; fail "browser test"; }

kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon.log" >&2; fail "the daemon died during the test"; }

# Stale: restart on the persisted snapshot with the database unreachable;
# the page must say the data is stale. The same database at the same
# address (the state directory's ledger and the snapshot's seal belong to
# it: another address is another database, refused), through a role that
# does not exist, so that every connection fails.
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=""
"$build/casa-metricsd" --db "$conninfo user=casa_absent_role connect_timeout=2" \
	--listen "127.0.0.1:$port" --as-of "$as_of" --state-dir "$tmp/state" \
	--dashboard-dir "$src/dashboards" >"$tmp/daemon-stale.log" 2>&1 &
daemon_pid=$!
stale=0
for _ in $(seq 1 120); do
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon-stale.log" >&2; fail "the stale daemon exited"; }
	if curl -sf "${base}readyz" 2>/dev/null | grep -q '"stale": *true'; then
		stale=1
		break
	fi
	sleep 0.5
done
[ "$stale" = 1 ] || { cat "$tmp/daemon-stale.log" >&2; fail "/readyz never said stale with the database down"; }
CASA_BASE_URL=$base "$python" "$browser_dir/dashboard_test.py" --stale || fail "browser test (stale)"

# Bearer tokens: the same snapshot behind a token (from the environment, so
# it is on no command line); the page must ask for it and then work.
kill "$daemon_pid"
wait "$daemon_pid" 2>/dev/null || true
daemon_pid=""
token=$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')
CASA_METRICS_API_TOKENS=$token "$build/casa-metricsd" --db "$conninfo" --listen "127.0.0.1:$port" \
	--as-of "$as_of" --state-dir "$tmp/state" --dashboard-dir "$src/dashboards" \
	>"$tmp/daemon-token.log" 2>&1 &
daemon_pid=$!
ready=0
for _ in $(seq 1 240); do
	kill -0 "$daemon_pid" 2>/dev/null || { cat "$tmp/daemon-token.log" >&2; fail "the daemon with tokens exited"; }
	if [ "$(curl -s -o /dev/null -w '%{http_code}' "${base}readyz" || true)" = 200 ]; then
		ready=1
		break
	fi
	sleep 0.5
done
[ "$ready" = 1 ] || { cat "$tmp/daemon-token.log" >&2; fail "/readyz not 200 with tokens"; }
[ "$(curl -s -o /dev/null -w '%{http_code}' "${base}api/v1/summary")" = 401 ] ||
	fail "the API answers without the token"
CASA_BASE_URL=$base CASA_TOKEN=$token "$python" "$browser_dir/dashboard_test.py" --token ||
	fail "browser test (token)"
echo "test_browser: PASS"
