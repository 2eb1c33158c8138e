#!/usr/bin/env bash
# Profile of one refresh, stage by stage: `perf record -g` on bench_pipeline
# (one run, stamped with CLOCK_MONOTONIC), cut into the stages with the marks
# bench_pipeline --marks prints, and `perf report --time` on each slice.
# Writes a Markdown section (the top functions of each stage with their share
# of that stage's samples, and the share per library) to OUT.
#
#   bench/profile.sh CONNINFO OUT [BUILD_DIR] [AS_OF] [TIMEZONE]
#
# The samples are those of the benchmark process only (all its threads):
# PostgreSQL's own work for the COPY shows up as time the pull waits, not as
# samples (compare the pull with the COPY floor in bench/RESULTS.md). On a
# virtual machine without a PMU (`perf stat -e instructions true` says "not
# supported") perf samples the cpu-clock software event; kernel samples
# then gather on the point where interrupts come back on (pvm_irq_enable and
# the like), so the kernel is shown as one line per stage. Each stage's sample
# count over the sampling rate is the CPU seconds it took; the rest of its
# wall time the process waited (for PostgreSQL, or for a core on a shared
# machine). PROFILE_DATA=FILE keeps perf.data there, to look further.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
conninfo=${1:?usage: bench/profile.sh CONNINFO OUT [BUILD_DIR] [AS_OF] [TIMEZONE]}
out=${2:?usage: bench/profile.sh CONNINFO OUT [BUILD_DIR] [AS_OF] [TIMEZONE]}
build=${3:-$root/build-bench}
as_of=${4:-2025-06-30}
tz=${5:-UTC}
top=${PROFILE_TOP:-8}
command -v perf >/dev/null || { echo "bench/profile.sh: perf not installed (apt-get install linux-perf)" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/state"

event=cycles
perf stat -e instructions true >/dev/null 2>"$work/stat" || true
if grep -q 'not supported\|not counted' "$work/stat" || ! perf stat -e cycles true >/dev/null 2>&1; then
	event=cpu-clock
fi

freq=999
perf record -q -e "$event" -k CLOCK_MONOTONIC -g -F "$freq" -o "$work/perf.data" -- \
	"$build/bench_pipeline" --db "$conninfo" --as-of "$as_of" --timezone "$tz" --runs 1 \
	--state-dir "$work/state" --marks >"$work/figures" 2>"$work/marks"
if [ -n "${PROFILE_DATA:-}" ]; then cp "$work/perf.data" "$PROFILE_DATA"; fi

# report START END SORT LIMIT: "share<TAB>name" lines of one slice
report() {
	perf report -i "$work/perf.data" --time "$1,$2" --no-children --sort "$3" -g none \
		--stdio --percent-limit 0.5 2>/dev/null |
		awk -v limit="$4" -v sort="$3" '
		/^#/ || NF == 0 { next }
		{
			share = $1
			if (sort == "dso") { name = $2 }
			else {
				dso = $2
				# "[.] name" or "[k] name"
				name = ""
				for (i = 4; i <= NF && $i != "-"; i++) name = name (name == "" ? "" : " ") $i
				if (dso ~ /kernel/) { kernel += share + 0; next }
				name = name " (" dso ")"
			}
			if (n < limit) { printf "%s\t%s\n", share, name; n++ }
		}
		END { if (sort != "dso" && kernel > 0) printf "%.2f%%\tkernel (all symbols)\n", kernel }'
}

{
	echo "Profile of one refresh ($(sed -n 's/^rows pulled: \([0-9]*\).*/\1/p' "$work/figures") source rows;"
	echo "\`perf record -e $event -g -F $freq\`, bench_pipeline --runs 1; percentages are shares of"
	echo "each stage's samples of the casa process, all threads; \`(self)\` time, inlined callees"
	echo "count in their caller, e.g. pull_tables holds copy_table/read_row/add_row):"
	echo
	while IFS=$'\t' read -r tag _ stage start end; do
		[ "$tag" = mark ] || continue
		secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a }')
		# Exact count (the "# Samples: 12K" header rounds): the sum of the
		# per-library sample column. At $freq Hz, samples / $freq is the
		# seconds the process was on a CPU; the rest of the wall is waiting.
		samples=$(perf report -i "$work/perf.data" --time "$start,$end" --stdio -g none -n --no-children \
			--sort dso 2>/dev/null | awk '!/^#/ && NF >= 3 { n += $2 } END { print n + 0 }')
		oncpu=$(awk -v n="$samples" -v f="$freq" 'BEGIN { printf "%.2f", n / f }')
		echo "**$stage** ($secs s wall, $samples samples ≈ $oncpu s on a CPU) — by library:" \
			"$(report "$start" "$end" dso 5 | awk -F'\t' '{printf "%s%s %s", (NR > 1 ? ", " : ""), $2, $1}')"
		echo
		echo "| share | function |"
		echo "|---:|---|"
		report "$start" "$end" dso,symbol "$top" | awk -F'\t' '{printf "| %s | `%s` |\n", $1, $2}'
		echo
	done <"$work/marks"
} >"$out"
cat "$work/figures" >&2
