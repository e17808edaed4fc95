#!/usr/bin/env bash
# The vetted install (issue 8): a warm-cache `airlock install` of a 20-wheel
# closure built by the test upstream, in sandboxes, against a raw
# `pip install --no-index --find-links` of the same wheels into an empty
# venv on the host; and `airlock env create`.
# Goals: install <= 1.5x raw pip; environment creation < 1 s.
# Bounded: BENCH_RUNS (default 7) runs of each, alternating; about a minute.
set -euo pipefail
cd "$(dirname "$0")/../.."

runs=${BENCH_RUNS:-7}
mkdir -p .bench
if ! command -v bwrap >/dev/null; then
	echo "env bench: bwrap is not installed (make test-deps installs it); skipped"
	exit 0
fi
if ! /usr/bin/python3 -c 'import pip, venv' 2>/dev/null; then
	echo "env bench: the system pip or venv is missing (make test-deps installs them); skipped"
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "building..."
go build -o "$tmp/benchenv" ./internal/env/internal/benchenv
# The binary is also the sandbox's proxy forwarder, so the sandbox user
# must be able to read it.
chmod 755 "$tmp" "$tmp/benchenv"
"$tmp/benchenv" -runs "$runs" -out .bench/env.txt
