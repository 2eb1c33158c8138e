#!/usr/bin/env bash
# Times one refresh, stage by stage, on synthetic data (default 1 000 000
# children) and prints the compute-versus-pull ratio (issue: computing every
# metric must take less time than pulling the rows).
#
#   bench/pipeline.sh [CHILDREN] [--keep]
set -euo pipefail
cd "$(dirname "$0")/.."
children=${1:-1000000}
dir=$(pwd)/var/bench-pg
cmake -S . -B build-bench -DCMAKE_BUILD_TYPE=Release -DCASA_TESTS=OFF >/dev/null
cmake --build build-bench -j "$(nproc)" --target bench_pipeline casa-gen >/dev/null
conn=$(scripts/pg start "$dir")
if [ "$(psql "$conn" -XAtc "select count(*) from deid.children" 2>/dev/null || echo 0)" != "$children" ]; then
	echo "loading $children children..."
	CASA_GEN=build-bench/casa-gen scripts/seed "$conn" --children "$children" --seed 1 --as-of 2025-06-30
fi
build-bench/bench_pipeline --db "$conn" --as-of 2025-06-30 --timezone UTC --runs 3
[ "${2:-}" = --keep ] || scripts/pg stop "$dir"
