#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the Release build, then the
# ASan+UBSan build. Set EXITBRAIN_SKIP_SANITIZE=1 to run only the Release suite.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
tools/build.sh release
ctest --preset release -j "$(nproc)"
if [ "${EXITBRAIN_SKIP_SANITIZE:-0}" != "1" ]; then
  tools/build.sh sanitize
  ctest --preset sanitize -j "$(nproc)"
fi
