#!/usr/bin/env bash
# Installs every Debian package spillway builds, tests and benchmarks with.
# Idempotent: packages already present are not fetched again, so both README
# commands call it on every run.
set -euo pipefail
PKGS=(
  build-essential cmake ninja-build pkg-config clang libclang-rt-14-dev
  libuv1-dev libhttp-parser-dev libcurl4-openssl-dev libyaml-dev libjansson-dev libyajl-dev node-llhttp
  libsqlite3-dev libssl-dev libcriterion-dev
  python3 python3-pytest python3-yaml python3-requests
  hey wrk prometheus nginx-light curl procps psmisc
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "deps: installing ${missing[*]}" >&2
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
