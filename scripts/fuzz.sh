#!/usr/bin/env bash
# Runs every Go fuzz target for FUZZTIME each (default 30s): `make fuzz`.
# `make test` runs it with a short FUZZTIME as a smoke test.
set -euo pipefail
fuzztime=${FUZZTIME:-30s}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "fuzz $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg" >/tmp/airlock-fuzz.log 2>&1 || {
			cat /tmp/airlock-fuzz.log
			exit 1
		}
	done
done
