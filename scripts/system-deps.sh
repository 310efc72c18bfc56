#!/usr/bin/env bash
# Make sure what the tests need from Debian is here: PostgreSQL server binaries, Chromium, npm.
# Installs missing packages with apt-get when run as root; otherwise says what to install.
set -euo pipefail

missing=()
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
command -v npm >/dev/null || missing+=(nodejs npm)
command -v runuser >/dev/null || missing+=(util-linux)

if ((${#missing[@]} == 0)); then
	exit 0
fi
if [[ $(id -u) -ne 0 ]]; then
	echo "The tests need these Debian packages: ${missing[*]}" >&2
	echo "Install them with: sudo apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "Installing ${missing[*]} with apt-get..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# the Debian package starts a cluster of its own; the tests start their own on a free port
if command -v service >/dev/null; then service postgresql stop >/dev/null 2>&1 || true; fi
