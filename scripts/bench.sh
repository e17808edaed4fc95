#!/usr/bin/env bash
# `make bench`: Go benchmarks, then every side-by-side measurement in
# scripts/bench/ (each prints its own figures and goal). Results are also
# written to .bench/ for comparison with benchstat.
set -uo pipefail
mkdir -p .bench
status=0
echo "== go benchmarks"
go test -run '^$' -bench . -benchmem -count "${BENCHCOUNT:-1}" ./... | tee .bench/go.txt || status=1
for s in scripts/bench/*.sh; do
	[ -e "$s" ] || continue
	echo
	echo "== $(basename "$s" .sh)"
	bash "$s" || status=1
done
exit $status
