#!/usr/bin/env bash
# Installs every Debian package the project needs to build, test and run its
# demo. Idempotent: a second run only checks. Works as root or through sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpq-dev libmicrohttpd-dev libjansson-dev zlib1g-dev
  check libsubunit-dev libglpk-dev
  postgresql postgresql-contrib
  curl jq procps util-linux
)
# Browser test and HTTP benchmarks (skipped with CASA_DEPS_MINIMAL=1).
if [ "${CASA_DEPS_MINIMAL:-0}" != 1 ]; then
  packages+=(chromium chromium-driver python3 python3-selenium fonts-dejavu-core wrk nginx-light)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
echo "deps: installing ${missing[*]}" >&2
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
