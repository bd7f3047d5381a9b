#!/usr/bin/env bash
# Installs the Debian 12 packages exitbrain needs, only those missing.
# Usage: tools/install-deps.sh [--runtime-only]
set -euo pipefail

packages=(
  cmake ninja-build g++ pkg-config
  libsimdjson-dev libtomlplusplus-dev libcli11-dev zlib1g-dev libssl-dev
  libreaderwriterqueue-dev libconcurrentqueue-dev libfmt-dev libboost1.81-dev
  libhiredis-dev
  libgtest-dev libbenchmark-dev redis-server
  rapidjson-dev nlohmann-json3-dev valgrind
  gnuplot-nox curl
  libsystemd-dev systemd prometheus
  clang-14 libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "installing missing Debian packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "error: not root and no sudo; install: ${missing[*]}" >&2; exit 1; }
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
