#!/usr/bin/env bash
# Installs the Debian packages that `make test` needs, when run as root, or
# says exactly what to install otherwise. Already-installed packages cost
# nothing: apt is only called for what is missing.
set -euo pipefail

packages=(
	python3 python3-pip python3-venv python3-packaging # the reference implementations and sandboxed pip
	bubblewrap runc crun                               # sandbox drivers
	util-linux                                         # prlimit and setpriv, which the sandbox drivers start
	bandit                                             # the optional second scan engine
	postgresql                                         # the Postgres half of the store conformance suite
	nginx-light wrk curl                               # make bench: reference server, load generator, warm-up requests
	time bc                                            # make bench: CPU time of airlock scan against bandit
	iproute2 procps                                    # sandbox escape tests look at the host side
	python3-yaml                                       # advisory's independent OSV evaluator reads the PyPA YAML
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "make test needs these Debian packages; install them with:" >&2
	echo "  sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing test dependencies: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
