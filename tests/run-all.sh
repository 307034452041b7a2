#!/bin/sh
# The whole test suite: installs what is missing, builds, then runs the unit
# tests, the format check and the integration suites (real containers, root)
# through CTest, which prints one line per suite and a closing summary.
set -eu
cd "$(dirname "$0")/.."
scripts/deps.sh --test
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 900 "$@"
