#!/usr/bin/env bash
# airlock check on a 10,000-line requirements file, whole process (issue 3),
# with typosquat and advisory checks on: the advisory data is the PyPA
# advisory database (AIRLOCK_TEST_ADVISORY_DB, set by .ci/run) imported into
# a local database, as `airlock db import` leaves it.
# Goal: under 0.5 s per run.
set -euo pipefail
cd "$(dirname "$0")/../.."

db=${AIRLOCK_TEST_ADVISORY_DB:-../shared/data/advisory-database}
if [ ! -d "$db" ]; then
	echo "check bench: no advisory database at $db (set AIRLOCK_TEST_ADVISORY_DB); skipped"
	exit 0
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go build -o "$tmp/airlock" ./cmd/airlock
export AIRLOCK_HOME="$tmp/data"
"$tmp/airlock" db import "$db" >/dev/null

# 10,000 lines: popular names (from the embedded list's source, or made up),
# each pinned, a fifth with a hash, some comments, markers and extras.
/usr/bin/python3 - "$tmp/requirements.txt" <<'PY'
import random, sys
random.seed(1)
try:
    names = [l.split("\t")[1].strip() for l in open("../shared/data/pypi-top.tsv")][:5000]
except OSError:
    names = ["pkg%d" % i for i in range(5000)]
with open(sys.argv[1], "w") as f:
    for i in range(10000):
        n = random.choice(names)
        line = "%s==%d.%d.%d" % (n, random.randint(0, 5), random.randint(0, 30), random.randint(0, 9))
        r = random.random()
        if r < 0.2:
            line += " \\\n    --hash=sha256:%064x" % random.getrandbits(256)
        elif r < 0.3:
            line += '; python_version >= "3.8"'
        elif r < 0.35:
            line += "  # pinned by the agent"
        f.write(line + "\n")
PY
echo "airlock check, 10,000 lines, typosquat and advisory checks on (goal < 0.5 s):"
if command -v hyperfine >/dev/null; then
	hyperfine --warmup 2 --runs "${BENCH_RUNS:-10}" -i --export-json "$tmp/h.json" \
		"$tmp/airlock check --format json -r $tmp/requirements.txt" | tee .bench/check.txt
else
	for _ in 1 2 3; do /usr/bin/time -f "%e s" "$tmp/airlock" check -r "$tmp/requirements.txt" >/dev/null || true; done
fi
