#!/usr/bin/env bash
# Installs the Debian packages the project needs. Idempotent: a second run
# only checks. Works as root or through sudo.
#
#   scripts/deps.sh          what building and running need (scripts/demo)
#   scripts/deps.sh --test   that and the test and benchmark tools (scripts/test, bench/)
set -euo pipefail
case "${1:-}" in
--test) test_tools=1 ;;
"") test_tools=0 ;;
*) echo "usage: scripts/deps.sh [--test]" >&2; exit 2 ;;
esac

packages=(
  build-essential cmake pkg-config git ca-certificates
  libpq-dev libmicrohttpd-dev libjansson-dev zlib1g-dev
  check libsubunit-dev libgsl-dev
  postgresql postgresql-contrib
  curl procps util-linux tzdata
)
# Test tools: the suppression audit's solver, the tests' JSON checks, the
# static analysis (cppcheck; gcc's -fanalyzer comes with build-essential),
# libFuzzer (clang and its runtime, bench/fuzz), the browser test (Debian's
# chromium driven by python3-selenium), the HTTP benchmarks, the profile of a
# refresh (linux-perf, bench/profile.sh; the build never needs it) and the
# systemd unit's test (systemd-analyze, systemd-nspawn).
if [ $test_tools = 1 ]; then
  packages+=(libglpk-dev jq cppcheck clang libclang-rt-14-dev systemd systemd-container)
  packages+=(chromium chromium-driver python3 python3-selenium fonts-dejavu-core wrk nginx-light
    linux-perf)
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
