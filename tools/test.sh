#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test: the Release build, the
# simulator's conformance run with Binance's own Node connector (tools/sim_conformance.sh;
# skipped, saying why, when npm cannot install it), a 3-minute fault soak (tools/soak.sh;
# EXITBRAIN_SOAK_MINUTES, seed EXITBRAIN_SOAK_SEED), the ASan+UBSan build, then every fuzz
# target for a short bounded time on its seed corpus (tools/fuzz.sh; EXITBRAIN_FUZZ_SECONDS
# per target, default 15). Set EXITBRAIN_SKIP_SANITIZE=1 to run only the Release suite, the
# conformance run and the soak (no sanitizers, no fuzzing).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
# CI is root on a throw-away machine: the package test also installs the .deb for real.
if [ "${CI:-}" = "true" ] && [ "$(id -u)" -eq 0 ]; then export EXITBRAIN_PACKAGE_SYSTEM_INSTALL=1; fi
tools/build.sh release
ctest --preset release -j "$(nproc)"
tools/sim_conformance.sh --no-build
tools/soak.sh --no-build --minutes "${EXITBRAIN_SOAK_MINUTES:-3}" --seed "${EXITBRAIN_SOAK_SEED:-1}"
if [ "${EXITBRAIN_SKIP_SANITIZE:-0}" != "1" ]; then
  tools/build.sh sanitize
  ctest --preset sanitize -j "$(nproc)"
  tools/fuzz.sh --seconds "${EXITBRAIN_FUZZ_SECONDS:-15}"
fi
