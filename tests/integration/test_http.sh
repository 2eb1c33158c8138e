#!/usr/bin/env bash
# "check && ok ... || fail ..." is intended: ok only prints, it cannot fail.
# shellcheck disable=SC2015
# HTTP stage end to end: tests/tools/casa-serve-fixture serves a hand-built
# snapshot (see the comment at the top of that file for the data and the
# hand-worked values checked here); curl plays the client. No PostgreSQL.
set -euo pipefail

BUILD=${CASA_BUILD_DIR:?}
FIXTURE="$BUILD/casa-serve-fixture"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/casa-http.XXXXXX")
PIDS=()
cleanup() {
	for pid in "${PIDS[@]:-}"; do
		[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	done
	wait 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

FAILS=0
# set by start() through printf -v
PORT_main='' PORT_tok='' PORT_empty='' PORT_stale='' PORT_churn=''
fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}
ok() { echo "ok: $*"; }

# start NAME ARGS...: starts a fixture on a random free port; sets PORT_NAME.
start() {
	local name=$1
	shift
	local port pid
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		port=$((15000 + (RANDOM * 32768 + RANDOM) % 17000))
		"$FIXTURE" "$port" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
		pid=$!
		for _ in $(seq 50); do
			grep -q ready "$TMP/$name.out" 2>/dev/null && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if grep -q ready "$TMP/$name.out"; then
			PIDS+=("$pid")
			printf -v "PORT_$name" '%s' "$port"
			return 0
		fi
		wait "$pid" 2>/dev/null || true
	done
	echo "cannot start fixture $name" >&2
	cat "$TMP/$name.err" >&2
	exit 1
}

# status URL [curl args...]: prints the HTTP status.
status() {
	local url=$1
	shift
	curl -s -o /dev/null -w '%{http_code}' "$@" "$url"
}

# json_check FILE JQ-FILTER: the filter must yield true for the JSON in FILE.
json_check() {
	jq -e "$2" "$1" >/dev/null 2>&1
}

expect() { # expect WHAT ACTUAL EXPECTED
	if [ "$2" = "$3" ]; then ok "$1"; else fail "$1: got '$2', expected '$3'"; fi
}

mkdir -p "$TMP/dash"
printf '<!doctype html><title>casa</title>\n' >"$TMP/dash/index.html"
printf 'console.log(1);\n' >"$TMP/dash/app.js"
printf 'secret\n' >"$TMP/dash/.hidden"

start main --cors "https://dash.example" --dashboard "$TMP/dash"
B="http://127.0.0.1:$PORT_main"
T="$B/api/v1/metrics/runaway_discharges_pct"

# --- health -----------------------------------------------------------------
expect "healthz" "$(curl -s "$B/healthz")" '{"status":"ok"}'
curl -s -o "$TMP/ready.json" -w '%{http_code}' "$B/readyz" >"$TMP/code"
expect "readyz status" "$(cat "$TMP/code")" 200
json_check "$TMP/ready.json" '.ready and (.stale|not) and .snapshot.as_of=="2025-06-30" and .last_success=="2025-07-01T12:00:00Z"' &&
	ok "readyz body" || fail "readyz body"

# --- default table: year, total -------------------------------------------
curl -s -D "$TMP/h" -o "$TMP/year.json" "$T"
# 2024: 27/300 = 9 %; 2025 suppressed and partial (2025-12-31 > as_of 2025-06-30).
# Issue 14: Clopper-Pearson 95 % of 27 of 300 = 6.01495 % to 12.82425 % (bisection
# on the incomplete beta function in mpmath, independent of GSL); the first
# row compares with nothing; a suppressed row has every member null.
json_check "$TMP/year.json" '.period_type=="year" and .by==null and .confidence==0.95 and (.rows|length)==2 and .rows[0]=={"period":"2024","period_start":"2024-01-01","period_end":"2024-12-31","partial":false,"provisional":false,"value":9,"numerator":27,"denominator":300,"suppressed":false,"interval_low":6.015,"interval_high":12.8243,"change_vs":null,"change":null,"change_low":null,"change_high":null,"change_direction":null} and .rows[1].suppressed and .rows[1].value==null and .rows[1].numerator==null and .rows[1].partial and ([.rows[1].interval_low,.rows[1].interval_high,.rows[1].change_vs,.rows[1].change_direction]|all(.==null)) and .disclosure=={"mode":"suppress","min_cell":11,"publish":"month:total quarter:all year:all fiscal_year:all","settle_days":30}' &&
	ok "year table body" || fail "year table body"
grep -qi '^Content-Type: application/json; charset=utf-8' "$TMP/h" && ok "json content type" || fail "json content type"
grep -qi '^Cache-Control: public, max-age=300' "$TMP/h" && ok "cache-control" || fail "cache-control"
grep -qi '^Last-Modified: Tue, 01 Jul 2025 12:00:00 GMT' "$TMP/h" && ok "last-modified" || fail "last-modified"
grep -qi '^Vary: Accept, Accept-Encoding, Origin' "$TMP/h" && ok "vary" || fail "vary"
grep -qi '^X-Casa-Stale' "$TMP/h" && fail "stale header on a fresh server" || ok "no stale header"
ETAG=$(grep -i '^ETag:' "$TMP/h" | sed 's/^[^:]*: *//; s/\r$//')
[[ $ETAG =~ ^\"[0-9a-f]{16}\"$ ]] && ok "strong etag $ETAG" || fail "etag format '$ETAG'"

# --- keep-alive: pollers reuse one connection --------------------------------
curl -sv -o /dev/null -o /dev/null "$B/healthz" "$T" 2>"$TMP/kv" || true
grep -qi 'Re-using existing connection' "$TMP/kv" && ok "keep-alive" || fail "connection not reused"

# --- conditional requests ---------------------------------------------------
expect "304 on If-None-Match" "$(status "$T" -H "If-None-Match: $ETAG")" 304
expect "304 on a list with W/" "$(status "$T" -H "If-None-Match: \"nope\", W/$ETAG")" 304
expect "304 on *" "$(status "$T" -H "If-None-Match: *")" 304
expect "200 on another etag" "$(status "$T" -H 'If-None-Match: "0000000000000000"')" 200
expect "304 has no body" "$(curl -s -H "If-None-Match: $ETAG" "$T" | wc -c)" 0
# RFC 9110 §8.6: a Content-Length on a 304 must be the 200's
curl -s -D "$TMP/h304" -o /dev/null -H "If-None-Match: $ETAG" "$T"
LEN304=$(grep -i '^Content-Length:' "$TMP/h304" | tr -dc 0-9)
[ -z "$LEN304" ] || [ "$LEN304" = "$(wc -c <"$TMP/year.json" | tr -d ' ')" ] &&
	ok "304 content-length" || fail "304 content-length $LEN304"

# --- gzip --------------------------------------------------------------------
curl -s --compressed -D "$TMP/hz" -o "$TMP/year_gz.json" "$T"
grep -qi '^Content-Encoding: gzip' "$TMP/hz" && ok "gzip content-encoding" || fail "gzip content-encoding"
cmp -s "$TMP/year.json" "$TMP/year_gz.json" && ok "gzip body decodes to identity body" || fail "gzip body differs"
GZ_ETAG=$(grep -i '^ETag:' "$TMP/hz" | sed 's/^[^:]*: *//; s/\r$//')
[ "$GZ_ETAG" != "$ETAG" ] && ok "gzip has its own etag" || fail "gzip etag equals identity etag"
expect "gzip 304" "$(status "$T" --compressed -H "If-None-Match: $GZ_ETAG")" 304
curl -s -D "$TMP/hq" -o /dev/null -H 'Accept-Encoding: gzip;q=0, identity' "$T"
grep -qi '^Content-Encoding' "$TMP/hq" && fail "gzip;q=0 still compressed" || ok "gzip;q=0 respected"

# --- HEAD ----------------------------------------------------------------------
curl -s -I "$T" >"$TMP/hh"
expect "HEAD status" "$(head -1 "$TMP/hh" | awk '{print $2}')" 200
HEAD_LEN=$(grep -i '^Content-Length:' "$TMP/hh" | tr -dc 0-9)
expect "HEAD content-length" "$HEAD_LEN" "$(wc -c <"$TMP/year.json" | tr -d ' ')"

# --- CORS ---------------------------------------------------------------------
curl -s -D "$TMP/hp" -o /dev/null -X OPTIONS -H 'Origin: https://dash.example' \
	-H 'Access-Control-Request-Method: GET' "$T"
expect "preflight status" "$(head -1 "$TMP/hp" | awk '{print $2}')" 204
grep -qi '^Access-Control-Allow-Origin: https://dash.example' "$TMP/hp" && ok "preflight origin" || fail "preflight origin"
grep -qi '^Access-Control-Allow-Methods: GET, HEAD, OPTIONS' "$TMP/hp" && ok "preflight methods" || fail "preflight methods"
grep -qi '^Access-Control-Allow-Headers: Authorization, If-None-Match, Accept' "$TMP/hp" && ok "preflight headers" || fail "preflight headers"
curl -s -D "$TMP/hc" -o /dev/null -H 'Origin: https://dash.example' "$T"
grep -qi '^Access-Control-Allow-Origin: https://dash.example' "$TMP/hc" && ok "simple CORS" || fail "simple CORS"
curl -s -D "$TMP/hx" -o /dev/null -H 'Origin: https://evil.example' "$T"
grep -qi '^Access-Control-Allow-Origin' "$TMP/hx" && fail "foreign origin allowed" || ok "foreign origin refused"

# --- slices --------------------------------------------------------------------
curl -s -D "$TMP/hs" -o "$TMP/slice.json" "$T?period_type=quarter&from=2025-Q1&to=2025-Q2"
# Q1 15/120 = 12.5 %, Q2 0/40 = 0 %
json_check "$TMP/slice.json" '[.rows[].period]==["2025-Q1","2025-Q2"] and .rows[0].value==12.5 and .rows[1].value==0 and .metric=="runaway_discharges_pct"' &&
	ok "slice rows" || fail "slice rows"
SLICE_ETAG=$(grep -i '^ETag:' "$TMP/hs" | sed 's/^[^:]*: *//; s/\r$//')
expect "slice 304" "$(status "$T?period_type=quarter&from=2025-Q1&to=2025-Q2" -H "If-None-Match: $SLICE_ETAG")" 304
curl -s -o "$TMP/slice2.json" "$T?period_type=quarter&from=2024-Q4"
json_check "$TMP/slice2.json" '[.rows[].period]==["2024-Q4","2025-Q1","2025-Q2"] and .rows[0].suppressed' &&
	ok "open-ended slice" || fail "open-ended slice"
curl -s -o "$TMP/slice3.json" "$T?period_type=quarter&from=2030-Q1"
json_check "$TMP/slice3.json" '.rows==[]' && ok "empty slice" || fail "empty slice"
curl -s -o "$TMP/slice4.csv" "$T?period_type=quarter&to=2024-Q3&format=csv"
# 12 of 150: 4.20203 % to 13.55739 % (mpmath, as above); the first quarter
expect "csv slice" "$(tr -d '\r' <"$TMP/slice4.csv" | tail -n +2)" "2024-Q3,2024-07-01,2024-09-30,false,false,8,12,150,false,4.202,13.5574,,,,,"

# --- CSV ------------------------------------------------------------------------
curl -s -D "$TMP/hv" -o "$TMP/county.csv" "$T?by=county&format=csv"
grep -qi '^Content-Type: text/csv; charset=utf-8' "$TMP/hv" && ok "csv content type" || fail "csv content type"
grep -qi '^Content-Disposition: attachment; filename="runaway_discharges_pct_year_by_county_2025-06-30.csv"' "$TMP/hv" &&
	ok "csv filename" || fail "csv filename"
# 14/160 = 8.75 %, 13/140 = 9.2857 % (9.285714... to 4 decimals); their
# Clopper-Pearson 95 % intervals 4.86647 % to 14.24521 % and 5.03735 % to
# 15.35538 % (mpmath, as above); 2025 suppressed: empty, nothing compared
printf '%s\r\n' 'period,period_start,period_end,partial,provisional,county,value,numerator,denominator,suppressed,interval_low,interval_high,change_vs,change,change_low,change_high,change_direction' \
	'2024,2024-01-01,2024-12-31,false,false,Adams,8.75,14,160,false,4.8665,14.2452,,,,,' \
	'2024,2024-01-01,2024-12-31,false,false,"Baker, ""North""",9.2857,13,140,false,5.0373,15.3554,,,,,' \
	'2025,2025-01-01,2025-12-31,true,true,Adams,,,,true,,,,,,,' \
	'2025,2025-01-01,2025-12-31,true,true,"Baker, ""North""",,,,true,,,,,,,' >"$TMP/county.expected"
cmp -s "$TMP/county.csv" "$TMP/county.expected" && ok "csv bytes" || fail "csv bytes"
expect "Accept: text/csv" "$(curl -s -H 'Accept: text/csv' "$T" | head -c 7)" "period,"
expect "format=json wins" "$(curl -s -H 'Accept: text/csv' "$T?format=json" | head -c 10)" '{"metric":'

# --- errors -------------------------------------------------------------------
curl -s -o "$TMP/e404.json" -w '%{http_code}' "$B/api/v1/metrics/no_such_metric" >"$TMP/code"
expect "unknown metric" "$(cat "$TMP/code")" 404
json_check "$TMP/e404.json" '.error.status==404 and (.error.allowed|any(.=="runaway_discharges_pct")) and (.error.allowed|length)==24' &&
	ok "404 names the metrics" || fail "404 body"
curl -s -o "$TMP/e400.json" -w '%{http_code}' "$T?period_type=decade" >"$TMP/code"
expect "bad period_type" "$(cat "$TMP/code")" 400
json_check "$TMP/e400.json" '.error.allowed==["month","quarter","year","fiscal_year"]' && ok "400 names period types" || fail "400 body"
curl -s -o "$TMP/e400b.json" -w '%{http_code}' "$T?by=los_band" >"$TMP/code"
expect "by not allowed" "$(cat "$TMP/code")" 400
json_check "$TMP/e400b.json" '(.error.allowed|any(.=="setting")) and (.error.allowed|any(.=="los_band")|not)' && ok "400 names breakdowns" || fail "400 by body"
expect "unknown parameter" "$(status "$T?colour=red")" 400
expect "bad format" "$(status "$T?format=xml")" 400
curl -s -o "$TMP/efrom.json" -w '%{http_code}' "$T?period_type=quarter&from=2025-13" >"$TMP/code"
expect "bad from" "$(cat "$TMP/code")" 400
json_check "$TMP/efrom.json" '.error.allowed[0]|contains("2025-Q1")' && ok "400 names the label format" || fail "from body"
expect "from after to" "$(status "$T?period_type=quarter&from=2025-Q2&to=2025-Q1")" 400
expect "repeated parameter" "$(status "$T?by=county&by=sex")" 400
curl -s -D "$TMP/h405" -o "$TMP/e405.json" -X POST -d 'x=1' "$T"
expect "POST" "$(head -1 "$TMP/h405" | awk '{print $2}')" 405
grep -qi '^Allow: GET, HEAD, OPTIONS' "$TMP/h405" && ok "405 Allow" || fail "405 Allow"
json_check "$TMP/e405.json" '.error.status==405' && ok "405 body" || fail "405 body"
expect "DELETE" "$(status "$T" -X DELETE)" 405
LONG=$(head -c 3000 /dev/zero | tr '\0' a)
expect "414 long URL" "$(status "$T?period_type=$LONG")" 414
expect "unknown path" "$(status "$B/api/v2/whatever")" 404

# --- hostile requests, then still serving -------------------------------------
HUGE=$(head -c 100000 /dev/zero | tr '\0' a)
code=$(status "$B/$HUGE")
[[ $code =~ ^4 ]] && ok "huge URL answered $code" || fail "huge URL answered $code"
expect "bad percent-encoding" "$(status "$T?period_type=%zz")" 400
expect "bad percent-encoding in path" "$(status "$B/api/v1/metrics/%zz%")" 404
PARAMS=$(for i in $(seq 100); do printf 'p%d=1&' "$i"; done)
expect "100 parameters" "$(status "$T?$PARAMS")" 400
BIGH=$(head -c 70000 /dev/zero | tr '\0' b)
code=$(status "$T" -H "X-Big: $BIGH")
[[ $code =~ ^4 ]] && ok "huge header answered $code" || fail "huge header answered $code"
expect "odd method" "$(status "$T" -X BREW)" 405
# issue 16: a %00 ended the decoded value or path, so these answered 200
curl -s -o "$TMP/enul.json" -w '%{http_code}' "$T?by=county%00" >"$TMP/code"
expect "NUL in a query value" "$(cat "$TMP/code")" 400
json_check "$TMP/enul.json" '.error.status==400' && ok "NUL: JSON error" || fail "NUL body: $(cat "$TMP/enul.json")"
curl -s -o "$TMP/enulp.json" -w '%{http_code}' "$B/index.html%00.js" >"$TMP/code"
expect "NUL in a path" "$(cat "$TMP/code")" 400
json_check "$TMP/enulp.json" '.error.status==400' && ok "NUL path: JSON error" || fail "NUL path body"
expect "NUL in a parameter name" "$(status "$T?by%00x=county")" 400
expect "still serving" "$(status "$T")" 200

# --- other resources ---------------------------------------------------------
curl -s -o "$TMP/summary.json" "$B/api/v1/summary"
# quarter table: last complete quarter 2025-Q2 (ends on as_of) = 0 %,
# previous 2025-Q1 = 12.5 %, change 0 - 12.5 = -12.5. statistics (issue 14):
# 0 of 40 is 0 to 1 - 0.025^(1/40) = 8.8097 %; Newcombe, z = 1.959964:
# Wilson of 0/40 up to z^2 / (40 + z^2) = 0.0876216, of 15/120
# (0.125 + 0.0160061 -+ 0.0612986) / 1.0320122 = 0.0772350 to 0.1960294;
# low = -0.125 - (0.1960294 - 0.125) = -19.6029 points, high = -0.125 +
# sqrt(0.0876216^2 + (0.125 - 0.0772350)^2) = -0.125 + 0.0997948 = -2.5205
# points: wholly below 0, "down"
json_check "$TMP/summary.json" '(.metrics|length)==1 and .metrics[0].period=="2025-Q2" and .metrics[0].value==0 and .metrics[0].previous=={"period":"2025-Q1","value":12.5,"suppressed":false} and .metrics[0].change==-12.5 and .metrics[0].higher_is_better==false and (.metrics[0]|has("reference")|not) and .metrics[0].statistics=={"interval_low":0,"interval_high":8.8097,"change_vs":"2025-Q1","change":-12.5,"change_low":-19.6029,"change_high":-2.5205,"change_direction":"down"}' &&
	ok "summary" || fail "summary"
curl -s -o "$TMP/catalog.json" "$B/api/v1/metrics"
# catalog: 24 metrics less the three trafficking ones (the fixture has no
# table of theirs, as a source without trafficking_identifications); each
# says higher_is_better, null for screened_positive_pct only of those left
json_check "$TMP/catalog.json" '(.metrics|length)==21 and all(.metrics[]; has("definition") and has("higher_is_better") and (.by|any(.=="total")|not)) and ([.metrics[]|select(.requires_table!=null)]|length)==0 and ([.metrics[]|select(.higher_is_better==null)|.id]==["screened_positive_pct"])' && ok "catalog" || fail "catalog"
# published (issue 13 item 4), from the default plan "month:total
# quarter:all year:all fiscal_year:all": runaway_discharges_pct (all four
# period types, six breakdowns) publishes month totals only and every
# breakdown from the quarter up; placement_moves_per_1000_days allows year
# and fiscal year only, without the setting; no list anywhere names a
# month breakdown
json_check "$TMP/catalog.json" '(["total","county","age_band","sex","race_ethnicity","advocate","setting"]) as $run | (["total","county","age_band","sex","race_ethnicity","advocate"]) as $base | (.metrics[]|select(.id=="runaway_discharges_pct").published)=={"month":["total"],"quarter":$run,"year":$run,"fiscal_year":$run} and (.metrics[]|select(.id=="placement_moves_per_1000_days").published)=={"year":$base,"fiscal_year":$base} and all(.metrics[]; (.published.month // ["total"])==["total"])' &&
	ok "catalog published" || fail "catalog published"
# and a table outside the plan answers 404 naming the setting
curl -s -o "$TMP/e404plan.json" -w '%{http_code}' "$B/api/v1/metrics/runaway_discharges_pct?period_type=month&by=county" >"$TMP/code"
expect "month by county is not published" "$(cat "$TMP/code")" 404
json_check "$TMP/e404plan.json" '.error.message|contains("setting publish")' &&
	ok "404 names the publish setting" || fail "404 body of an unpublished table"
curl -s -o "$TMP/quality.json" "$B/api/v1/quality"
json_check "$TMP/quality.json" '.rows_read.episodes==300 and .rows_kept.episodes==298 and [.rules[]|select(.rule=="drop_duplicate_key")|[.action,.count]]==[["dropped",2]]' &&
	ok "quality" || fail "quality"
curl -s -o "$TMP/openapi.json" "$B/api/v1/openapi.json"
json_check "$TMP/openapi.json" '(.openapi|startswith("3.1")) and (.paths|has("/api/v1/metrics/{id}")) and (.paths["/api/v1/metrics/{id}"].get.parameters[0].schema.enum|any(.=="runaway_discharges_pct")) and (.paths|has("/readyz")) and (.components.schemas|has("Error")) and (.components.schemas.Row.properties.change_direction.enum==["up","down","no_clear_change",null]) and (.components.schemas.Row.required|index("interval_low")!=null) and (.components.schemas.Row.properties.smr.type==["number","null"])' &&
	ok "openapi" || fail "openapi"
# a full validation when the validator is installed (pip openapi-spec-validator)
if python3 -c 'import openapi_spec_validator' 2>/dev/null; then
	python3 -c 'import json, sys; from openapi_spec_validator import validate; validate(json.load(open(sys.argv[1])))' \
		"$TMP/openapi.json" && ok "openapi validates" || fail "openapi does not validate"
else
	echo "skip: openapi-spec-validator not installed"
fi
curl -s -D "$TMP/hm" -o "$TMP/metrics.txt" "$B/metrics"
grep -qi '^Content-Type: text/plain; version=0.0.4' "$TMP/hm" && ok "prometheus content type" || fail "prometheus content type"
for want in 'casa_metrics_build_info{version="' 'casa_metrics_http_requests_total{route="table",code="200"}' \
	'casa_metrics_http_requests_total{route="table",code="304"}' 'casa_metrics_refresh_duration_seconds_bucket{le="0.5"} 1' \
	'casa_metrics_refresh_duration_seconds_bucket{le="+Inf"} 1' 'casa_metrics_stale 0' 'casa_metrics_db_up 1' \
	'casa_metrics_suppressed_cells 4' 'casa_metrics_dq_violations{rule="drop_duplicate_key"}' 'casa_metrics_rows_loaded{table="episodes"}'; do
	grep -qF "$want" "$TMP/metrics.txt" && ok "metrics has $want" || fail "metrics lacks $want"
done
grep -q 'http_requests_total{route="/' "$TMP/metrics.txt" && fail "raw URL as route label" || ok "route labels fixed"

# --- dashboard ---------------------------------------------------------------
curl -s -D "$TMP/hd" -o "$TMP/index.html" "$B/"
grep -qi '^Content-Type: text/html' "$TMP/hd" && ok "index content type" || fail "index content type"
cmp -s "$TMP/index.html" "$TMP/dash/index.html" && ok "index body" || fail "index body"
curl -s -D "$TMP/hj" -o /dev/null "$B/app.js"
grep -qi '^Content-Type: text/javascript' "$TMP/hj" && ok "js content type" || fail "js content type"
expect "hidden file" "$(status "$B/.hidden")" 404
expect "traversal" "$(status --path-as-is "$B/../../etc/passwd")" 404
expect "encoded traversal" "$(status "$B/..%2f..%2fetc%2fpasswd")" 404
expect "missing file" "$(status "$B/nope.js")" 404

# --- tokens -------------------------------------------------------------------
start tok --tokens "s3cret-token, other-token"
BT="http://127.0.0.1:$PORT_tok"
curl -s -D "$TMP/ht" -o "$TMP/e401.json" "$BT/api/v1/metrics"
expect "no token" "$(head -1 "$TMP/ht" | awk '{print $2}')" 401
grep -qi '^WWW-Authenticate: Bearer' "$TMP/ht" && ok "WWW-Authenticate" || fail "WWW-Authenticate"
expect "wrong token" "$(status "$BT/api/v1/metrics" -H 'Authorization: Bearer s3cret-tokeX')" 401
expect "prefix of a token" "$(status "$BT/api/v1/metrics" -H 'Authorization: Bearer s3cret')" 401
expect "right token" "$(status "$BT/api/v1/metrics" -H 'Authorization: Bearer s3cret-token')" 200
expect "second token" "$(status "$BT/api/v1/metrics/runaway_discharges_pct" -H 'Authorization: Bearer other-token')" 200
expect "metrics needs token" "$(status "$BT/metrics")" 401
expect "healthz open" "$(status "$BT/healthz")" 200
expect "readyz open" "$(status "$BT/readyz")" 200

# --- before the first snapshot, and stale ------------------------------------
start empty --empty
BE="http://127.0.0.1:$PORT_empty"
curl -s -o "$TMP/e503.json" -w '%{http_code}' "$BE/api/v1/metrics/runaway_discharges_pct" >"$TMP/code"
expect "table before snapshot" "$(cat "$TMP/code")" 503
json_check "$TMP/e503.json" '.error.status==503' && ok "503 body" || fail "503 body"
curl -s -o "$TMP/r503.json" -w '%{http_code}' "$BE/readyz" >"$TMP/code"
expect "readyz before snapshot" "$(cat "$TMP/code")" 503
json_check "$TMP/r503.json" '.ready==false and .snapshot==null and .last_success==null' && ok "readyz 503 body" || fail "readyz 503 body"
expect "healthz before snapshot" "$(status "$BE/healthz")" 200

start stale --stale
BS="http://127.0.0.1:$PORT_stale"
curl -s -D "$TMP/hst" -o /dev/null "$BS/api/v1/summary"
grep -qi '^X-Casa-Stale: true' "$TMP/hst" && ok "stale header" || fail "stale header"
curl -s -o "$TMP/rst.json" "$BS/readyz"
json_check "$TMP/rst.json" '.ready and .stale and .refresh_failures==3 and .db_up==false' && ok "readyz stale" || fail "readyz stale"
grep -q 'casa_metrics_stale 1' <(curl -s "$BS/metrics") && ok "metrics stale 1" || fail "metrics stale"

# --- refresh storm: snapshots replaced every few ms while requests run -------
start churn --churn
BC="http://127.0.0.1:$PORT_churn"
seq 400 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' --compressed \
	"$BC/api/v1/metrics/runaway_discharges_pct?by=county&n={}" >"$TMP/churn.codes" 2>/dev/null || true
# n is not a parameter of the table route: every answer is a 400 built while
# the snapshot churns; then full bodies, gzip and identity, and slices
# (one printf per line, so parallel writers do not interleave)
# shellcheck disable=SC2016
seq 300 | xargs -P 8 -I{} sh -c 'printf "%s\n" "$(curl -s --compressed "$1/api/v1/metrics/runaway_discharges_pct?by=county" | head -c 10)"' _ "$BC" >"$TMP/churn.bodies" 2>/dev/null || true
seq 300 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' \
	"$BC/api/v1/metrics/runaway_discharges_pct?period_type=quarter&from=2024-Q4" >>"$TMP/churn.codes" 2>/dev/null || true
expect "storm: 400 for the unknown parameter" "$(head -400 "$TMP/churn.codes" | sort -u | tr -d '\n')" 400
expect "storm: slices all 200" "$(tail -300 "$TMP/churn.codes" | sort -u | tr -d '\n')" 200
expect "storm: bodies all JSON tables" "$(sort -u "$TMP/churn.bodies" | tr -d '\n')" '{"metric":'
kill -TERM "${PIDS[-1]}"
wait "${PIDS[-1]}" && ok "storm: fixture exited cleanly" || fail "storm: fixture exit status"
grep -q 'snapshots replaced' "$TMP/churn.err" && ok "storm: $(grep -o '[0-9]* snapshots replaced' "$TMP/churn.err")" ||
	fail "storm: no churn report"
unset 'PIDS[-1]'

# --- connection limits, with the daemon's own configuration ------------------
# The real binary (no database needed: it serves /healthz while its first
# refresh fails), configured by flags as an operator would.
DAEMON="$BUILD/casa-metricsd"
HOLD="$(dirname "$0")/hold_connections.py"
start_daemon() { # NAME ARGS...: starts casa-metricsd; sets PORT_NAME
	local name=$1 port pid
	shift
	for _ in 1 2 3 4 5; do
		port=$((15000 + (RANDOM * 32768 + RANDOM) % 17000))
		"$DAEMON" --listen "127.0.0.1:$port" --db "host=127.0.0.1 port=9 connect_timeout=1" \
			--timezone UTC --refresh 3600 --state-dir "$TMP/state-$name" "$@" \
			>"$TMP/$name.out" 2>"$TMP/$name.err" &
		pid=$!
		for _ in $(seq 50); do
			[ "$(status "http://127.0.0.1:$port/healthz")" = 200 ] && break
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		if [ "$(status "http://127.0.0.1:$port/healthz")" = 200 ]; then
			PIDS+=("$pid")
			printf -v "PORT_$name" '%s' "$port"
			return 0
		fi
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	echo "cannot start casa-metricsd ($name)" >&2
	cat "$TMP/$name.err" >&2
	exit 1
}
stop_last() { # stops the process started last
	kill -TERM "${PIDS[-1]}"
	wait "${PIDS[-1]}" || fail "exit status after SIGTERM"
	unset 'PIDS[-1]'
}
PORT_nolimit='' PORT_limit2=''
# issue 16: http_per_ip_limit = 0 is documented as no limit. 80 connections
# at once from one address (more than the default 64) are all answered.
start_daemon nolimit --http-per-ip-limit 0
python3 "$HOLD" "$PORT_nolimit" 80 >"$TMP/nolimit.txt"
expect "per-IP limit 0: 80 connections answered" "$(awk '$1 == "answered" { print $2 }' "$TMP/nolimit.txt")" 80
stop_last
# A limit of 2: 40 connections at once, 38 refused. Issue 16: one log line
# per refused connection (5,132 in one flood); now the first is logged and
# the rest counted, in one line per 10 s, the count flushed at stop.
start_daemon limit2 --http-per-ip-limit 2
python3 "$HOLD" "$PORT_limit2" 40 >"$TMP/limit2.txt"
expect "per-IP limit 2: answered" "$(awk '$1 == "answered" { print $2 }' "$TMP/limit2.txt")" 2
stop_last
refused_lines=$(grep -c 'connection limit' "$TMP/limit2.err" || true)
expect "refused connections: lines logged" "$refused_lines" 1
grep -q 'last message repeated 37 more times' "$TMP/limit2.err" &&
	ok "refused connections: 1 line + 37 counted = 38" ||
	fail "refused connections not counted: $(grep -v 'refresh' "$TMP/limit2.err" | tail -5)"

# --- clean stop --------------------------------------------------------------
kill -TERM "${PIDS[0]}"
for _ in $(seq 50); do kill -0 "${PIDS[0]}" 2>/dev/null || break; sleep 0.1; done
kill -0 "${PIDS[0]}" 2>/dev/null && fail "fixture did not stop on SIGTERM" || ok "stopped on SIGTERM"
rc=0
wait "${PIDS[0]}" || rc=$?
expect "clean exit after SIGTERM" "$rc" 0
for pid in "${PIDS[@]:1}"; do kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
PIDS=()
# a sanitizer build reports memory errors and leaks on stderr
if grep -l 'Sanitizer\|runtime error' "$TMP"/*.err >/dev/null 2>&1; then
	fail "sanitizer report in fixture stderr"
	cat "$TMP"/*.err >&2
else
	ok "no sanitizer report"
fi

if [ "$FAILS" -ne 0 ]; then
	echo "$FAILS check(s) failed" >&2
	exit 1
fi
echo "all HTTP checks passed"
