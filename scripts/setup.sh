#!/usr/bin/env bash
# Installs what edgegen's build, checks and tests need on a fresh Debian machine, then the npm dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(nginx haproxy libnginx-mod-http-js openssl ca-certificates curl wrk)
# Docker (for the Docker runtime and its tests): EDGEGEN_WITH_DOCKER=1 bash scripts/setup.sh
if [ "${EDGEGEN_WITH_DOCKER:-0}" = 1 ] && ! command -v dockerd >/dev/null 2>&1; then packages+=(docker.io); fi
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    export DEBIAN_FRONTEND=noninteractive DEBCONF_NOWARNINGS=yes
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "setup: please install: ${missing[*]} (sudo apt-get install ${missing[*]})" >&2
  fi
fi
# Debian starts the packaged services on install; edgegen runs its own instances on its own ports.
for s in nginx haproxy; do
  if command -v service >/dev/null 2>&1; then service "$s" stop >/dev/null 2>&1 || true; fi
done
npm ci --no-audit --no-fund
