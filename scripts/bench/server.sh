#!/usr/bin/env bash
# The gateway under load (issue 9): POST /v1/check with two requirements
# from 64 concurrent wrk clients against `airlock serve` (SQLite store,
# every answer committed to the audit log first), then a count of the
# audit log against the answers wrk received.
# Goal: >= 3,000 requests/s with p99 < 50 ms, every answered request audited.
# Bounded: a 2 s warm-up and one BENCH_SECONDS run (default 10); about 30 s
# in all. The server listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${BENCH_SECONDS:-10}
conns=64
threads=2
mkdir -p .bench
out=.bench/server.txt

for tool in wrk curl; do
	if ! command -v "$tool" >/dev/null; then
		echo "server bench: $tool is not installed (make test-deps installs it); skipped"
		exit 0
	fi
done

tmp=$(mktemp -d)
pid=""
cleanup() {
	if [ -n "$pid" ]; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

echo "building..."
go build -o "$tmp/airlock" ./cmd/airlock

# The rate limit stays on (so its cost is measured) but far above the load.
"$tmp/airlock" --data-dir "$tmp/data" --log-level error serve --listen 127.0.0.1:0 --addr-file "$tmp/addr" \
	--rate-limit 1000000 --burst 1000000 --upstream http://127.0.0.1:9/simple/ >"$tmp/token" 2>"$tmp/serve.log" &
pid=$!
for _ in $(seq 600); do [ -s "$tmp/addr" ] && break; sleep 0.1; done
[ -s "$tmp/addr" ] || { echo "server bench: airlock serve did not start:" >&2; cat "$tmp/serve.log" >&2; exit 1; }
url="http://$(cat "$tmp/addr")"
token=$(cat "$tmp/token")

cat >"$tmp/check.lua" <<'EOF'
wrk.method = "POST"
wrk.body = '{"requirements": ["requests==2.31.0", "numpy==1.26.4"]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AIRLOCK_TOKEN")
EOF

curl -fsS -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
	-d '{"requirements": ["requests==2.31.0", "numpy==1.26.4"]}' "$url/v1/check"

# count_checks: the number of check events in the audit log.
count_checks() {
	AIRLOCK_URL=$url AIRLOCK_TOKEN=$token /usr/bin/python3 - <<'EOF'
import json, os, urllib.request
url, tok = os.environ["AIRLOCK_URL"], os.environ["AIRLOCK_TOKEN"]
n, cursor = 0, ""
while True:
    q = url + "/v1/audit?action=check&limit=1000" + ("&cursor=" + cursor if cursor else "")
    req = urllib.request.Request(q, headers={"Authorization": "Bearer " + tok})
    page = json.load(urllib.request.urlopen(req))
    n += len(page["events"])
    cursor = page["next_cursor"]
    if not cursor:
        break
print(n)
EOF
}

echo "warming up (2s), then wrk: $conns connections, $threads threads, ${secs}s..."
AIRLOCK_TOKEN=$token wrk -t"$threads" -c"$conns" -d2s -s "$tmp/check.lua" "$url/v1/check" >/dev/null 2>&1
sleep 1 # let the warm-up's last answers commit
before=$(count_checks)
AIRLOCK_TOKEN=$token wrk -t"$threads" -c"$conns" -d"${secs}s" --latency -s "$tmp/check.lua" "$url/v1/check" >"$tmp/wrk.txt" 2>&1
sleep 1
after=$(count_checks)

rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.txt")
p50=$(awk '$1 == "50%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v=v*1000}; print v}' "$tmp/wrk.txt")
p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v=v*1000}; print v}' "$tmp/wrk.txt")
total=$(awk '/requests in/ {print $1}' "$tmp/wrk.txt")
non2xx=$(awk '/Non-2xx or 3xx responses:/ {print $5}' "$tmp/wrk.txt")
non2xx=${non2xx:-0}
errors=$(awk '/Socket errors:/ {print}' "$tmp/wrk.txt")
answered=$((total - non2xx))
logged=$((after - before))
if [ "$non2xx" -ne 0 ]; then
	echo "server bench: $non2xx answers were not 200:" >&2
	cat "$tmp/wrk.txt" >&2
fi

verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "NOT met") }'; }
{
	echo "server bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, shared machine: figures are noisy)"
	echo "POST /v1/check, 2 requirements, $conns connections, ${secs}s, SQLite store (WAL, synchronous=FULL)"
	printf '%-28s %s\n' "requests/s" "$rps"
	printf '%-28s %s\n' "p50 ms" "$p50"
	printf '%-28s %s\n' "p99 ms" "$p99"
	printf '%-28s %s\n' "answered (200)" "$answered"
	printf '%-28s %s\n' "check events logged" "$logged"
	[ -n "$errors" ] && echo "wrk: $errors"
	# wrk stops with up to one request per connection in flight: those
	# may be logged without wrk counting their answers.
	echo "every answer audited (answered <= logged <= answered + $conns): $(verdict "$(awk -v a="$answered" -v l="$logged" -v c="$conns" 'BEGIN{print (a <= l && l <= a + c)}')")"
	echo ">= 3000 req/s with p99 < 50 ms: $(verdict "$(awk -v r="$rps" -v p="$p99" 'BEGIN{print (r >= 3000 && p < 50)}')")"
} | tee "$out"
