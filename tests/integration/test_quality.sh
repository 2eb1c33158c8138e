#!/usr/bin/env bash
# Data-quality rules (SPEC §2) on generated contract-breaking rows, counted
# three independent ways that must agree rule by rule:
#   1. what the generator injected (casa-gen --bad-report, each bad row breaks
#      exactly one rule);
#   2. an independent SQL count (tests/crosscheck/quality.sql);
#   3. what the daemon serves at /api/v1/quality.
# Also: the quality report holds counts only, never a key.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db quality_test)
port=$(free_port)
# Seed 5 with the optional trafficking_identifications table (its two rules
# counted three ways too), seed 9 without it (casa-gen
# --no-identifications: its rules and table are then absent from every
# report). A fresh schema per seed: --bad-rows leaves it without the keys
# that sql/schema.sql needs to re-create the dropped table.
for seed in 5 9; do
	identifications=()
	[ "$seed" = 9 ] && identifications=(--no-identifications)
	PGOPTIONS="-c client_min_messages=warning" psql "$conn" -Xq -v ON_ERROR_STOP=1 \
		-c "DROP SCHEMA IF EXISTS deid_bad CASCADE" >/dev/null
	CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 3000 \
		--seed "$seed" --as-of 2025-06-30 --bad-rows --bad-report "$TEST_TMP/injected.json" \
		--schema deid_bad "${identifications[@]}" >/dev/null 2>&1 ||
		fail "seeding bad rows (seed $seed)"
	jq -S . "$TEST_TMP/injected.json" >"$TEST_TMP/want.json"

	psql "$conn" -XqAt -v s=deid_bad -v as_of=2025-06-30 \
		-f "$CASA_SOURCE_DIR/tests/crosscheck/quality.sql" 2>/dev/null | tail -n1 |
		jq -S . >"$TEST_TMP/sql.json"
	diff -u "$TEST_TMP/want.json" "$TEST_TMP/sql.json" ||
		fail "seed $seed: the SQL count disagrees with what was injected"

	start_daemon "$port" --db "$conn" --schema deid_bad --as-of 2025-06-30 --timezone UTC \
		--state-dir "$TEST_TMP/state-$seed" --refresh 3600
	curl -fsS "http://127.0.0.1:$port/api/v1/quality" -o "$TEST_TMP/quality.json"
	jq -S '[.rules[] | {(.rule): .count}] | add' "$TEST_TMP/quality.json" >"$TEST_TMP/served.json"
	diff -u "$TEST_TMP/want.json" "$TEST_TMP/served.json" ||
		fail "seed $seed: /api/v1/quality disagrees with what was injected"
	want_tables=5
	[ "$seed" = 5 ] && want_tables=6
	[ "$(jq '.rows_read | length' "$TEST_TMP/quality.json")" = "$want_tables" ] ||
		fail "seed $seed: rows_read lists $(jq -c '.rows_read | keys' "$TEST_TMP/quality.json")"
	# Every rule says what happens to its rows.
	[ "$(jq '[.rules[] | select(.action != "dropped" and .action != "kept" and .action != "ignored")] | length' \
		"$TEST_TMP/quality.json")" = 0 ] || fail "a rule without a known action"
	# Counts only: no field of the report can hold a key or a row value.
	[ "$(jq '[.. | strings | select(test("^[0-9]{6,}$"))] | length' "$TEST_TMP/quality.json")" = 0 ] ||
		fail "the quality report holds something that looks like a key"
	kill "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null || true
done
echo "test_quality: ok"
