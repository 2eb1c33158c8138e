#!/usr/bin/env bash
# Issue 16 row 3: county names were cut at 255 bytes, inside a UTF-8
# character (invalid JSON), and two long names with the same first 255
# bytes merged into one county without a word. Now a name over 255 bytes is
# published cut at a character boundary, followed by "…" and 16 hex digits
# of a hash of the whole name (docs/metrics.md), and counted as
# keep_county_name_cut.
#
# Data: casa-gen's 2000 children, then episodes moved to three long names:
#   A = 127 "é" (254 bytes) + "x" + "Alpha"   (260 bytes)
#   B = 127 "é" (254 bytes) + "x" + "Beta"    (259 bytes; A's first 255 bytes)
#   C = "a" + 150 "é"                         (301 bytes; byte 255 inside an "é")
# Expected: every JSON file of --once parses (jq) and every file is valid
# UTF-8 (iconv); the by-county tables have as many groups as SQL counts
# distinct county names; A and B are two groups; each label is at most 255
# bytes and ends with "…" and 16 hex digits; a second run gives the same
# labels; keep_county_name_cut equals SQL's count of episodes whose name is
# over 255 bytes.
source "$(dirname "$0")/lib.sh"

conn=$(fresh_db county_names_test)
CASA_GEN="$CASA_BUILD_DIR/casa-gen" "$CASA_SOURCE_DIR/scripts/seed" "$conn" --children 2000 \
	--seed 7 --as-of 2025-06-30 >/dev/null 2>&1 || fail "seeding"
psql "$conn" -Xq -v ON_ERROR_STOP=1 >/dev/null <<-'SQL' || fail "long names"
	UPDATE deid.episodes SET county = repeat('é', 127) || 'xAlpha' WHERE episode_key % 7 = 1;
	UPDATE deid.episodes SET county = repeat('é', 127) || 'xBeta' WHERE episode_key % 7 = 2;
	UPDATE deid.episodes SET county = 'a' || repeat('é', 150) WHERE episode_key % 7 = 3;
SQL
once() {
	rm -rf "$1"
	"$CASA_BUILD_DIR/casa-metricsd" --db "$conn" --once --output "$1" --as-of 2025-06-30 \
		--timezone UTC --state-dir "$TEST_TMP/state" 2>"$TEST_TMP/once.log" ||
		fail "--once failed: $(cat "$TEST_TMP/once.log")"
}
once "$TEST_TMP/out"

files=0
while IFS= read -r -d '' file; do
	files=$((files + 1))
	iconv -f UTF-8 -t UTF-8 "$file" >/dev/null 2>&1 || fail "not UTF-8: $file"
done < <(find "$TEST_TMP/out" -type f -print0)
[ "$files" -gt 100 ] || fail "only $files files written"
find "$TEST_TMP/out" -name '*.json' -exec jq -e . {} + >/dev/null || fail "invalid JSON written"

table=$TEST_TMP/out/runaway_episodes_per_1000_days/year_by_county.json
jq -r '[.rows[].county] | unique | .[]' "$table" >"$TEST_TMP/labels.txt"
want=$(psql "$conn" -XAt -c "SELECT count(DISTINCT county) FROM deid.episodes")
[ "$(wc -l <"$TEST_TMP/labels.txt")" = "$want" ] ||
	fail "$(wc -l <"$TEST_TMP/labels.txt") county groups, SQL counts $want names"
cut_labels=$(grep -c '…[0-9a-f]\{16\}$' "$TEST_TMP/labels.txt" || true)
[ "$cut_labels" = 3 ] || fail "$cut_labels cut labels, want 3: $(cat "$TEST_TMP/labels.txt")"
while IFS= read -r label; do
	bytes=$(printf '%s' "$label" | wc -c)
	[ "$bytes" -le 255 ] || fail "a label of $bytes bytes"
done <"$TEST_TMP/labels.txt"
# A and B: the same 118 "é" (236 bytes) before the mark, two labels.
prefix=$(printf 'é%.0s' $(seq 1 118))
[ "$(grep -c "^$prefix…" "$TEST_TMP/labels.txt")" = 2 ] || fail "A and B are not two groups"
# C: "a" and 117 "é" (235 bytes): the cut backs up before the split "é".
[ "$(grep -c "^a$(printf 'é%.0s' $(seq 1 117))…" "$TEST_TMP/labels.txt")" = 1 ] ||
	fail "C is not cut at the character boundary"

# The quality report counts the episodes, as SQL does.
counted=$(json '.rules[] | select(.rule == "keep_county_name_cut") | .count' \
	"$TEST_TMP/out/quality.json")
sql=$(psql "$conn" -XAt -c "SELECT count(*) FROM deid.episodes WHERE octet_length(county) > 255")
[ "$counted" = "$sql" ] && [ "$sql" -gt 0 ] || fail "keep_county_name_cut $counted, SQL $sql"

# The same data, the same labels (a replica publishes the same bytes).
once "$TEST_TMP/again"
jq -r '[.rows[].county] | unique | .[]' \
	"$TEST_TMP/again/runaway_episodes_per_1000_days/year_by_county.json" |
	diff "$TEST_TMP/labels.txt" - >&2 || fail "labels differ between two runs"
echo "test_county_names: ok"
