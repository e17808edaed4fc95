#!/usr/bin/env bash
# `airlock spec` against Python's packaging 23.0 on the same 60,000
# questions (versions, comparisons, specifier checks, requirements, markers,
# names, in a realistic mix), side by side; prints both throughputs and the
# ratio. Goal: airlock >= 20x packaging's throughput.
# Both sides read the questions from a file and write answers to a file;
# each is timed as the best of BENCH_RUNS runs (default 3), by CPU time and
# by wall time. The answers are compared afterwards (error texts aside) as a
# sanity check. Both are single-threaded, start-up included.
set -euo pipefail
cd "$(dirname "$0")/../.."

py=/usr/bin/python3
if ! "$py" -c 'import packaging' 2>/dev/null; then
	echo "spec bench: python3-packaging is not installed (make test-deps installs it); skipped"
	exit 0
fi
runs=${BENCH_RUNS:-3}
mkdir -p .bench
bin=${BIN:-bin/airlock}
[ -x "$bin" ] || go build -o "$bin" ./cmd/airlock
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# 60,000 questions from a fixed seed.
"$py" - "$tmp/questions.jsonl" <<'EOF'
import json, random, sys
r = random.Random(440508)
def num():
    return str(r.choice([0, 0, 1, 1, 2, 3, 4, 5, 9, 10, 12, 20, 31, 2023, 2024]))
def version():
    v = ".".join(num() for _ in range(r.choice([1, 2, 3, 3, 3, 4])))
    if r.random() < 0.15: v += r.choice(["a", "b", "rc", ".dev", ".post", "alpha", "-"]) + num()
    if r.random() < 0.05: v += "+" + r.choice(["cpu", "cu118", "ubuntu.1"])
    if r.random() < 0.05: v = r.choice(["v", " ", "V"]) + v
    return v
def spec():
    op = r.choice([">=", ">=", "<", "==", "!=", "~=", "<=", ">"])
    v = version().split("+")[0]
    if op == "~=" and "." not in v: v += ".0"
    if op in ("==", "!=") and r.random() < 0.3: v = ".".join(v.split(".")[:2]).rstrip("abrcdevpostlh-") + ".*"
    return op + v
def specset():
    return ",".join(spec() for _ in range(r.choice([1, 1, 2, 2, 3])))
names = ["requests", "numpy", "Django", "flask", "urllib3", "typing_extensions", "PyYAML", "scikit-learn", "zope.interface", "charset-normalizer"]
markers = ['python_version >= "3.8"', 'sys_platform == "win32"', 'python_version < "3.11" and platform_machine != "arm64"',
           'extra == "socks"', 'os_name == "posix" or python_full_version >= "3.9.1"', 'implementation_name == "cpython"',
           '(python_version >= "3.7" and python_version < "4") or extra == "test"', 'platform_system == "Linux"']
env = {"implementation_name": "cpython", "implementation_version": "3.11.2", "os_name": "posix", "platform_machine": "x86_64",
       "platform_release": "6.1.0-18-amd64", "platform_system": "Linux", "platform_version": "#1 SMP Debian 6.1.76-1",
       "python_full_version": "3.11.2", "platform_python_implementation": "CPython", "python_version": "3.11",
       "sys_platform": "linux", "extra": ""}
def requirement():
    s = r.choice(names)
    if r.random() < 0.2: s += "[" + r.choice(["socks", "security,socks", "test"]) + "]"
    if r.random() < 0.05: return s + " @ https://example.com/pkg-1.0-py3-none-any.whl"
    if r.random() < 0.85: s += r.choice(["", " "]) + specset()
    if r.random() < 0.3: s += "; " + r.choice(markers)
    return s
mix = [("version", 12000), ("compare", 12000), ("contains", 15000), ("requirement", 12000), ("marker", 6000), ("normalize", 3000)]
qs = []
for op, n in mix:
    for _ in range(n):
        if op == "version": q = {"op": op, "version": version()}
        elif op == "compare": q = {"op": op, "a": version(), "b": version()}
        elif op == "contains": q = {"op": op, "specifier": specset(), "version": version(), "prereleases": r.choice([None, None, True, False])}
        elif op == "requirement": q = {"op": op, "requirement": requirement()}
        elif op == "marker": q = {"op": op, "marker": r.choice(markers), "environment": env}
        else: q = {"op": op, "name": r.choice(names) + r.choice(["", "_x", ".Y"])}
        qs.append(q)
r.shuffle(qs)
assert len(qs) == 60000
with open(sys.argv[1], "w") as f:
    for q in qs: f.write(json.dumps(q) + "\n")
EOF

# best_of CMD...: "wall cpu" of the fastest of $runs runs, in seconds, where
# cpu is the child's user+system time (from wait4, microsecond resolution).
# The machine may be shared and loaded: CPU time is the steadier measure of
# throughput; wall time is shown beside it.
best_of() {
	"$py" - "$runs" "$tmp/questions.jsonl" "$tmp/out.jsonl" "$@" <<'PY'
import os, subprocess, sys, time
runs, qfile, ofile, cmd = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4:]
best_w = best_c = None
for _ in range(runs):
    with open(qfile, "rb") as fin, open(ofile, "wb") as fout:
        t0 = time.perf_counter()
        p = subprocess.Popen(cmd, stdin=fin, stdout=fout)
        _, status, ru = os.wait4(p.pid, 0)
        w = time.perf_counter() - t0
    if status != 0:
        sys.exit("%s failed with status %d" % (cmd, status))
    c = ru.ru_utime + ru.ru_stime
    best_w = w if best_w is None else min(best_w, w)
    best_c = c if best_c is None else min(best_c, c)
print("%.4f %.4f" % (best_w, best_c))
PY
}

read -r w_airlock c_airlock < <(best_of "$bin" spec)
cp "$tmp/out.jsonl" "$tmp/airlock.jsonl"
read -r w_py c_py < <(best_of "$py" internal/cli/testdata/spec_reference.py --plain)
cp "$tmp/out.jsonl" "$tmp/packaging.jsonl"

# Sanity: the same answers (error texts aside; the questions avoid the
# documented deviations).
"$py" - "$tmp/airlock.jsonl" "$tmp/packaging.jsonl" <<'EOF'
import json, sys
a = open(sys.argv[1]).read().splitlines()
b = open(sys.argv[2]).read().splitlines()
assert len(a) == len(b) == 60000, (len(a), len(b))
diff = 0
for x, y in zip(a, b):
    x, y = json.loads(x), json.loads(y)
    x.pop("error", None); y.pop("error", None)
    diff += x != y
if diff:
    print("spec bench: %d answers differ" % diff)
    sys.exit(1)
EOF

"$py" - "$runs" "$w_airlock" "$c_airlock" "$w_py" "$c_py" <<'EOF' | tee .bench/spec.txt
import sys
runs, wa, ca, wp, cp = sys.argv[1], *map(float, sys.argv[2:])
load = open("/proc/loadavg").read().split()[0]
print("spec: 60000 questions, best of %s runs (load average %s)" % (runs, load))
print("  %-16s %8s %12s %8s %12s" % ("", "cpu s", "ops/cpu-s", "wall s", "ops/s"))
for name, w, c in (("airlock spec", wa, ca), ("packaging 23.0", wp, cp)):
    print("  %-16s %8.3f %12.0f %8.3f %12.0f" % (name, c, 60000 / c, w, 60000 / w))
print("  ratio: %.1fx by CPU time, %.1fx by wall time (goal >= 20x)" % (cp / ca, wp / wa))
EOF
