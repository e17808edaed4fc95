#!/usr/bin/env bash
# The filtering index under load (issue 7): cached project pages and cached
# wheel downloads through `airlock proxy`, 64 concurrent wrk clients, against
# nginx serving the same bytes from disk.
# Goals: >= 5,000 page requests/s with p99 < 20 ms; wheel downloads at disk
# speed; proxy/nginx ratio >= 0.5.
# Bounded: each wrk run lasts BENCH_SECONDS (default 10); the whole script
# about a minute. Everything listens on 127.0.0.1 and is stopped on exit.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${BENCH_SECONDS:-10}
conns=64
threads=2
mkdir -p .bench
out=.bench/index.txt

for tool in wrk nginx curl; do
	if ! command -v "$tool" >/dev/null && [ ! -x "/usr/sbin/$tool" ]; then
		echo "index bench: $tool is not installed (make test-deps installs it); skipped"
		exit 0
	fi
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

tmp=$(mktemp -d)
chmod 755 "$tmp" # nginx workers run as an unprivileged user
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

wait_for() { # wait_for FILE: up to 60 s for a file to appear
	for _ in $(seq 600); do [ -s "$1" ] && return 0; sleep 0.1; done
	echo "index bench: timed out waiting for $1" >&2
	return 1
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

echo "building..."
go build -o "$tmp/airlock" ./cmd/airlock
go build -o "$tmp/benchserver" ./internal/index/internal/benchserver

"$tmp/benchserver" -env "$tmp/bench.env" -www "$tmp/www" &
pids+=($!)
wait_for "$tmp/bench.env"
# shellcheck disable=SC1091
. "$tmp/bench.env"

"$tmp/airlock" --data-dir "$tmp/data" --log-level error proxy --listen 127.0.0.1:0 --addr-file "$tmp/proxy.addr" \
	--upstream "$UPSTREAM" --cache-dir "$tmp/cache" --page-ttl 1h 2>"$tmp/proxy.log" &
pids+=($!)
wait_for "$tmp/proxy.addr"
proxy="http://$(cat "$tmp/proxy.addr")"

accept='Accept: application/vnd.pypi.simple.v1+json'
page_url="$proxy/simple/$PROJECT/"
wheel_url="$proxy/simple/$PROJECT/$BIG_SHA256/$BIG_WHEEL"

# Warm the cache, and give nginx the very bytes the proxy serves.
mkdir -p "$tmp/www/simple/$PROJECT"
curl -fsS -H "$accept" "$page_url" -o "$tmp/www/simple/$PROJECT/index.json"
curl -fsS "$wheel_url" -o "$tmp/wheel.got"
cmp -s "$tmp/wheel.got" "$tmp/www/files/$BIG_WHEEL" || { echo "index bench: the proxy served other bytes" >&2; exit 1; }
page_bytes=$(wc -c <"$tmp/www/simple/$PROJECT/index.json")

nport=$(free_port)
mkdir -p "$tmp/nginx/logs"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes 2;
daemon off;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log error;
events { worker_connections 1024; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_requests 100000;
	types { application/vnd.pypi.simple.v1+json json; application/octet-stream whl; }
	server {
		listen 127.0.0.1:$nport;
		root $tmp/www;
		location /simple/ { index index.json; }
	}
}
EOF
"$nginx_bin" -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://127.0.0.1:$nport/files/$BIG_WHEEL" 2>/dev/null && break; sleep 0.1; done
nginx_page="http://127.0.0.1:$nport/simple/$PROJECT/"
nginx_wheel="http://127.0.0.1:$nport/files/$BIG_WHEEL"

# run_wrk NAME URL [HEADER]: prints "req/s p99_ms transfer_per_s".
run_wrk() {
	local name=$1 url=$2
	shift 2
	local args=(-t"$threads" -c"$conns" -d"${secs}s" --latency)
	[ $# -gt 0 ] && args+=(-H "$1")
	wrk "${args[@]}" "$url" >"$tmp/wrk.$name" 2>&1
	local rps p99 tps
	rps=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk.$name")
	p99=$(awk '$1 == "99%" {v=$2; if (v ~ /us$/) {sub(/us$/, "", v); v=v/1000} else if (v ~ /ms$/) {sub(/ms$/, "", v)} else if (v ~ /s$/) {sub(/s$/, "", v); v=v*1000}; print v}' "$tmp/wrk.$name")
	tps=$(awk '/^Transfer\/sec:/ {print $2}' "$tmp/wrk.$name")
	if grep -q "Non-2xx" "$tmp/wrk.$name"; then
		echo "index bench: $name had non-2xx answers:" >&2
		cat "$tmp/wrk.$name" >&2
		exit 1
	fi
	echo "$rps $p99 $tps"
}

echo "running wrk: $conns connections, $threads threads, ${secs}s per run..."
read -r p_rps p_p99 p_tps < <(run_wrk proxy-page "$page_url" "$accept")
read -r n_rps n_p99 n_tps < <(run_wrk nginx-page "$nginx_page" "$accept")
read -r pw_rps pw_p99 pw_tps < <(run_wrk proxy-wheel "$wheel_url")
read -r nw_rps nw_p99 nw_tps < <(run_wrk nginx-wheel "$nginx_wheel")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
verdict() { awk -v ok="$1" 'BEGIN { print (ok ? "met" : "NOT met") }'; }

{
	echo "index bench ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores, shared machine: figures are noisy)"
	echo "project page: $page_bytes bytes of PEP 691 JSON; wheel: $BIG_WHEEL, $BIG_SIZE bytes"
	printf '%-22s %12s %10s %12s\n' "" "req/s" "p99 ms" "transfer/s"
	printf '%-22s %12s %10s %12s\n' "proxy: cached page" "$p_rps" "$p_p99" "$p_tps"
	printf '%-22s %12s %10s %12s\n' "nginx: same page" "$n_rps" "$n_p99" "$n_tps"
	printf '%-22s %12s %10s %12s\n' "proxy: cached wheel" "$pw_rps" "$pw_p99" "$pw_tps"
	printf '%-22s %12s %10s %12s\n' "nginx: same wheel" "$nw_rps" "$nw_p99" "$nw_tps"
	echo "page ratio proxy/nginx: $(ratio "$p_rps" "$n_rps") (goal >= 0.5: $(verdict "$(awk -v a="$p_rps" -v b="$n_rps" 'BEGIN{print (a >= 0.5*b)}')"))"
	echo "wheel ratio proxy/nginx: $(ratio "$pw_rps" "$nw_rps") (goal >= 0.5: $(verdict "$(awk -v a="$pw_rps" -v b="$nw_rps" 'BEGIN{print (a >= 0.5*b)}')"))"
	echo "pages >= 5000 req/s with p99 < 20 ms: $(verdict "$(awk -v r="$p_rps" -v p="$p_p99" 'BEGIN{print (r >= 5000 && p < 20)}')")"
} | tee "$out"
