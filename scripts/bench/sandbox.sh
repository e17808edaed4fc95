#!/usr/bin/env bash
# Sandbox overhead: `/usr/bin/python3 -c pass` run plainly, in bubblewrap
# by hand with the mounts airlock gives a run (no cgroup, no rlimits), and
# through airlock: the Runner (Go benchmark, median of RUNS runs) and the
# whole `airlock run` command (hyperfine, median of RUNS runs; it includes
# airlock's own start-up). Goals: the bwrap Runner under 10 ms over plain,
# and within 1.3 times raw bwrap.
set -euo pipefail
cd "$(dirname "$0")/../.."
runs=${RUNS:-100}
bin=${BIN:-bin/airlock}
mkdir -p .bench
[ -x "$bin" ] || go build -o "$bin" ./cmd/airlock
if ! command -v bwrap >/dev/null || ! command -v hyperfine >/dev/null; then
	echo "sandbox: needs bwrap and hyperfine (Debian packages bubblewrap, hyperfine)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 711 "$tmp"
mkdir -p "$tmp/work" "$tmp/etc" "$tmp/home"
as=()
if [ "$(id -u)" -eq 0 ]; then
	chown 65534:65534 "$tmp/work"
	as=(setpriv --reuid=65534 --regid=65534 --clear-groups)
fi
uid=$([ "$(id -u)" -eq 0 ] && echo 65534 || id -u)
printf 'sandbox:x:%s:%s::/tmp:/bin/sh\n' "$uid" "$uid" >"$tmp/etc/passwd"
printf 'sandbox:x:%s:\n' "$uid" >"$tmp/etc/group"
printf '127.0.0.1\tlocalhost\n' >"$tmp/etc/hosts"
printf 'passwd: files\ngroup: files\nhosts: files\n' >"$tmp/etc/nsswitch.conf"
raw=(bwrap --unshare-all --unshare-user --unshare-cgroup --disable-userns --new-session --die-with-parent
	--hostname sandbox --ro-bind /usr /usr)
for d in bin sbin lib lib64; do
	[ -L "/$d" ] && raw+=(--symlink "usr/$d" "/$d")
done
for e in /etc/alternatives /etc/ld.so.cache /etc/localtime /etc/python3* /etc/ssl/certs /etc/ssl/openssl.cnf; do
	[ -e "$e" ] && raw+=(--ro-bind "$e" "$e")
done
for f in passwd group hosts nsswitch.conf; do
	raw+=(--ro-bind "$tmp/etc/$f" "/etc/$f")
done
raw+=(--proc /proc --dev /dev --perms 1777 --size 268435456 --tmpfs /dev/shm --remount-ro /dev
	--perms 1777 --size 268435456 --tmpfs /tmp --bind "$tmp/work" /work --remount-ro / --chdir /work
	--clearenv --setenv PATH /usr/local/bin:/usr/bin:/bin --setenv HOME /tmp --setenv LANG C.UTF-8
	-- /usr/bin/python3 -c pass)
rawcmd="${as[*]} ${raw[*]}"

export AIRLOCK_HOME="$tmp/home"
cmds=("/usr/bin/python3 -c pass" "$rawcmd" "$bin run -- /usr/bin/python3 -c pass")
names=(plain raw-bwrap "airlock run")
if [ "$(id -u)" -eq 0 ] && command -v runc >/dev/null; then
	cmds+=("$bin run --sandbox oci -- /usr/bin/python3 -c pass")
	names+=("airlock run --sandbox oci")
fi
args=()
for i in "${!cmds[@]}"; do
	args+=(-n "${names[$i]}" "${cmds[$i]}")
done
hyperfine -N --warmup 10 --runs "$runs" --export-json .bench/sandbox.json "${args[@]}" >/dev/null

echo "Runner (Go benchmark; variants take turns; median of $runs runs each):"
go test -run '^$' -bench 'BenchmarkSandboxOverhead' -benchtime "${runs}x" ./internal/sandbox/ |
	tee .bench/sandbox-go.txt | awk '/^BenchmarkSandboxOverhead/ {
		name = $1; sub(/^BenchmarkSandboxOverhead\//, "", name); sub(/-[0-9]+$/, "", name)
		line = "  " name ":"
		for (i = 5; i < NF; i += 2) { m[name, $(i+1)] = $i; line = line " " $(i+1) "=" $i }
		print line
	}
	END {
		if (("bwrap", "overhead-ms") in m)
			printf "  bwrap Runner: %.1f ms over plain (goal < 10), %.2fx raw bwrap (goal <= 1.3)\n", m["bwrap", "overhead-ms"], m["bwrap", "x-raw-bwrap"]
		if (("oci-runc", "overhead-ms") in m)
			printf "  oci Runner (runc): %.1f ms over plain\n", m["oci-runc", "overhead-ms"]
	}'

echo "Command line (hyperfine, median of $runs runs; includes airlock's start-up):"
/usr/bin/python3 - .bench/sandbox.json <<'EOF'
import json, sys
r = {x["command"]: x["median"] * 1000 for x in json.load(open(sys.argv[1]))["results"]}
for name, ms in r.items():
    print(f"  {name}: {ms:.1f} ms")
plain, raw, run = r["plain"], r["raw-bwrap"], r["airlock run"]
print(f"  raw bwrap: {raw - plain:.1f} ms over plain")
print(f"  airlock run: {run - plain:.1f} ms over plain, {run / raw:.2f}x raw bwrap")
EOF
