#!/usr/bin/env bash
# airlock scan against bandit on the same Python files: lines of Python
# scanned per second on one core (taskset -c 0, GOMAXPROCS=1, -j 1).
# Goal: at least 10 times bandit's rate.
#
# The corpus is the system's Python standard library (test suites, lib2to3
# and idlelib left out), taken in a fixed order until it holds at least
# SCAN_LINES lines (default 200,000). Each tool runs SCAN_RUNS times
# (default 3); the best run counts. Rates use CPU time (user + sys), which a
# busy shared machine disturbs less than wall time; both are printed.
set -euo pipefail
cd "$(dirname "$0")/../.."
lines_goal=${SCAN_LINES:-200000}
runs=${SCAN_RUNS:-3}
bin=${BIN:-bin/airlock}
out=.bench/scan.txt
mkdir -p .bench

if ! command -v bandit >/dev/null; then
	echo "scan: bandit is not installed (apt-get install bandit); skipping the comparison" >&2
	exit 1
fi
[ -x "$bin" ] || go build -o "$bin" ./cmd/airlock
stdlib=$(ls -d /usr/lib/python3.[0-9]* 2>/dev/null | sort -V | tail -1)
[ -n "$stdlib" ] || { echo "scan: no Python standard library under /usr/lib" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
corpus=$work/corpus
mkdir -p "$corpus"
total=0
files=0
while IFS= read -r f; do
	rel=${f#"$stdlib"/}
	mkdir -p "$corpus/$(dirname "$rel")"
	cp "$f" "$corpus/$rel"
	total=$((total + $(wc -l <"$f")))
	files=$((files + 1))
	[ "$total" -ge "$lines_goal" ] && break
done < <(find "$stdlib" -name '*.py' -not -path '*/test/*' -not -path '*/tests/*' \
	-not -path '*/lib2to3/*' -not -path '*/idlelib/*' -not -path '*-packages/*' | LC_ALL=C sort)

# best_of CMD...: runs CMD $runs times on CPU 0, prints "wall cpu" of the
# run with the least CPU time.
best_of() {
	local best=""
	for _ in $(seq "$runs"); do
		/usr/bin/time -f '%e %U %S' -o "$work/time" taskset -c 0 "$@" >/dev/null 2>"$work/stderr" || true
		read -r wall user sys < <(tail -n 1 "$work/time")
		cpu=$(echo "$user + $sys" | bc)
		if [ -z "$best" ] || [ "$(echo "$cpu < ${best#* }" | bc)" = 1 ]; then
			best="$wall $cpu"
		fi
	done
	echo "$best"
}

read -r a_wall a_cpu < <(GOMAXPROCS=1 best_of "$bin" scan --format json -j 1 "$corpus")
read -r b_wall b_cpu < <(best_of bandit -q -f json -r "$corpus")
rate() { echo "scale=0; $total / $1" | bc; }
{
	echo "corpus: $files files, $total lines of Python from $stdlib (best of $runs runs, CPU 0)"
	printf "airlock scan: %6.2fs wall %6.2fs cpu  %8s lines/s (cpu) %8s lines/s (wall)\n" "$a_wall" "$a_cpu" "$(rate "$a_cpu")" "$(rate "$a_wall")"
	printf "bandit:       %6.2fs wall %6.2fs cpu  %8s lines/s (cpu) %8s lines/s (wall)\n" "$b_wall" "$b_cpu" "$(rate "$b_cpu")" "$(rate "$b_wall")"
	echo "speed-up: $(echo "scale=1; $b_cpu / $a_cpu" | bc)x on CPU time, $(echo "scale=1; $b_wall / $a_wall" | bc)x on wall time (goal: at least 10x)"
} | tee "$out"
