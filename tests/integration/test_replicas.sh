#!/usr/bin/env bash
# Readers scale out as stateless replicas behind a load balancer (issue 15,
# docs/scaling.md): daemons on one database, each with its own state
# directory, must publish the same bytes under the same ETags, so that a
# client's If-None-Match from one replica revalidates on another.
#
#   suppress mode: replicas A and B, same settings; B starts after A's first
#   refresh and at least one second later, so their refreshes happen at
#   different wall-clock seconds (as replicas' do). Control C: min_cell 12,
#   other published content, so its ETags must differ (the ETags come from
#   the content, not from a constant).
#   dp mode: replicas D and E share one secret key (copied into both state
#   directories, as docs/scaling.md says to); control F has its own key, so
#   other noise and other ETags.
#
# Compared for several tables (identity and gzip, a from/to slice) and the
# summary: body bytes and ETag equal on the two replicas, different on the
# control, and the second replica answers 304 to the first one's ETag.
# What makes the bytes agree is snapshot.generated_at taken from the data:
# here the newest batch's loaded_at (seeded now, after the start of as_of),
# read back with SQL to the second. Nothing here looks at metric values.
source "$(dirname "$0")/lib.sh"

export CASA_GEN="${CASA_GEN:-$CASA_BUILD_DIR/casa-gen}"
AS_OF=2025-06-30
conn=$(fresh_db replicas_test)
"$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 2000 --seed 4 --as-of "$AS_OF" \
	>"$TEST_TMP/seed.log" 2>&1 || { cat "$TEST_TMP/seed.log" >&2; fail "seeding"; }

common=(--db "$conn" --as-of "$AS_OF" --timezone America/Chicago --refresh 3600)
paths=(
	"/api/v1/summary"
	"/api/v1/metrics/runaway_discharges_pct?by=county"
	"/api/v1/metrics/placement_moves_per_1000_days?period_type=fiscal_year&by=race_ethnicity"
	"/api/v1/metrics/runaway_episodes_per_1000_days?period_type=year"
	"/api/v1/metrics/runaway_discharges_pct?period_type=quarter&from=2024-Q1&to=2025-Q2"
)

# fetch PORT PATH NAME ENCODING: body into $TEST_TMP/NAME, prints the ETag.
fetch() {
	curl -fsS -D "$TEST_TMP/$3.h" -o "$TEST_TMP/$3" -H "Accept-Encoding: $4" \
		"http://127.0.0.1:$1$2" || fail "GET $2 on port $1"
	sed -n 's/^[Ee][Tt]ag: *//p' "$TEST_TMP/$3.h" | tr -d '\r'
}

# compare MODE FIRST SECOND CONTROL: the two replicas' ports agree on every
# path and encoding, the control's differs.
compare() {
	local mode=$1 first=$2 second=$3 control=$4 n=0 path encoding etag1 etag2 etag3 code
	for path in "${paths[@]}"; do
		for encoding in identity gzip; do
			n=$((n + 1))
			etag1=$(fetch "$first" "$path" "1-$mode-$n" "$encoding")
			etag2=$(fetch "$second" "$path" "2-$mode-$n" "$encoding")
			etag3=$(fetch "$control" "$path" "3-$mode-$n" "$encoding")
			[ -n "$etag1" ] || fail "$mode $path ($encoding): no ETag"
			if ! cmp -s "$TEST_TMP/1-$mode-$n" "$TEST_TMP/2-$mode-$n"; then
				# Which fields differ (published, protected figures only).
				[ "$encoding" = gzip ] || diff <(jq -S . "$TEST_TMP/1-$mode-$n") \
					<(jq -S . "$TEST_TMP/2-$mode-$n") | head -n 6 >&2 || true
				fail "$mode $path ($encoding): the two replicas send different bytes"
			fi
			[ "$etag1" = "$etag2" ] ||
				fail "$mode $path ($encoding): ETag $etag1 on one replica, $etag2 on the other"
			[ "$etag1" != "$etag3" ] ||
				fail "$mode $path ($encoding): the control has the same ETag $etag1"
			code=$(curl -s -o /dev/null -w '%{http_code}' -H "Accept-Encoding: $encoding" \
				-H "If-None-Match: $etag1" "http://127.0.0.1:$second$path")
			[ "$code" = 304 ] ||
				fail "$mode $path ($encoding): answers $code to the other replica's ETag, not 304"
		done
	done
	echo "ok: $mode: $n responses agree across replicas and differ on the control"
}

# Suppress mode.
port_a=$(free_port)
start_daemon "$port_a" "${common[@]}" --state-dir "$TEST_TMP/state-a"
# Past the second of A's refresh: a body or ETag that carries the time of
# its refresh cannot agree by chance.
sleep 1.2
port_b=$(free_port)
start_daemon "$port_b" "${common[@]}" --state-dir "$TEST_TMP/state-b"
port_c=$(free_port)
start_daemon "$port_c" "${common[@]}" --state-dir "$TEST_TMP/state-c" --min-cell 12
compare suppress "$port_a" "$port_b" "$port_c"
loaded=$(psql "$conn" -XAt -v ON_ERROR_STOP=1 -c "SELECT to_char(loaded_at AT TIME ZONE 'UTC',
	'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"') FROM deid.extract_batches ORDER BY batch_id DESC LIMIT 1") ||
	fail "reading loaded_at"
generated=$(jq -r .snapshot.generated_at "$TEST_TMP/1-suppress-1")
[ "$generated" = "$loaded" ] ||
	fail "snapshot.generated_at $generated, not the newest batch's loaded_at $loaded"
echo "ok: snapshot.generated_at is the newest batch's loaded_at ($loaded)"

# dp mode: the replicas share a key, the control has its own.
dp=(--disclosure-mode dp --dp-epsilon 1)
mkdir -m 700 "$TEST_TMP/state-d" "$TEST_TMP/state-e" "$TEST_TMP/state-f"
head -c 32 /dev/urandom >"$TEST_TMP/state-d/secret.key"
cp "$TEST_TMP/state-d/secret.key" "$TEST_TMP/state-e/secret.key"
head -c 32 /dev/urandom >"$TEST_TMP/state-f/secret.key"
chmod 600 "$TEST_TMP"/state-[def]/secret.key
port_d=$(free_port)
start_daemon "$port_d" "${common[@]}" "${dp[@]}" --state-dir "$TEST_TMP/state-d"
sleep 1.2
port_e=$(free_port)
start_daemon "$port_e" "${common[@]}" "${dp[@]}" --state-dir "$TEST_TMP/state-e"
port_f=$(free_port)
start_daemon "$port_f" "${common[@]}" "${dp[@]}" --state-dir "$TEST_TMP/state-f"
compare dp "$port_d" "$port_e" "$port_f"
