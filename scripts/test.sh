#!/usr/bin/env bash
# README command 2: install deps, build, run the whole test suite (CTest), then build the .deb,
# install it and check that the installed binary runs.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh
scripts/build.sh
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure -j 2 --timeout 600
scripts/test-deb.sh
