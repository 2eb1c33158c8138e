#!/usr/bin/env bash
# Load benchmark: 1 000 000 synthetic children (default) into a fresh
# PostgreSQL sandbox, constraints included; prints rows per table, seconds and
# rows/s. Target (issue: generator speed): under 3 minutes on a 2-core machine.
#
#   bench/load.sh [CHILDREN] [--keep]
#
# The sandbox lives in var/bench-load-pg and is destroyed at the end unless
# --keep is given. Builds casa-gen in build-bench/ (Release).
set -euo pipefail
cd "$(dirname "$0")/.."
children=${1:-1000000}
keep=${2:-}
dir=$(pwd)/var/bench-load-pg
build=${CASA_BENCH_BUILD:-build-bench}

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DCASA_TESTS=OFF >/dev/null
cmake --build "$build" --target casa-gen >/dev/null

scripts/pg destroy "$dir" >/dev/null 2>&1 || true
conn=$(scripts/pg start "$dir")
cleanup() { [ "$keep" = --keep ] || scripts/pg destroy "$dir" >/dev/null 2>&1 || true; }
trap cleanup EXIT

start=$(date +%s.%N)
CASA_GEN=$build/casa-gen scripts/seed "$conn" --children "$children" --seed 1 --as-of 2025-06-30
end=$(date +%s.%N)

rows=$(for table in children episodes placements missing_episodes advocate_assignments; do
	echo "$table $(psql "$conn" -XAtqc "select count(*) from deid.$table")"
done)
constraints=$(psql "$conn" -XAtqc "select count(*) from pg_constraint c
	join pg_namespace n on n.oid = c.connamespace where n.nspname = 'deid'")
echo
echo "table                      rows"
total=0
while read -r table count; do
	printf '%-22s %10d\n' "$table" "$count"
	total=$((total + count))
done <<<"$rows"
awk -v t="$total" -v s="$start" -v e="$end" -v n="$children" -v c="$constraints" 'BEGIN {
	secs = e - s
	printf "total                  %10d rows in %.1f s (%.0f rows/s, %d children); %d constraints in deid\n",
		t, secs, t / secs, n, c
	if (n >= 1000000 && secs > 180) print "SLOWER than the 3-minute target"
}'
