#!/bin/sh
# The whole test suite: installs what is missing, builds, then runs the unit
# tests, the format check and the integration suites (real containers, root)
# through CTest, which prints one line per suite and a closing summary.
set -eu
cd "$(dirname "$0")/.."
src=$(pwd)
scripts/deps.sh --test
scripts/build.sh
cd "${BUILD_DIR:-build}"

# The sanitizer lane's build takes about 6 minutes of CPU; the suites CTest
# runs before the lane mostly wait on containers. So on a whole run the build
# starts now at the lowest priority, and the lane's CTest entry waits for it
# (a lock) and finds it up to date.
prebuild=
if [ $# -eq 0 ] && [ "$(id -u)" -eq 0 ] &&
	grep -q '^CORRAL_SANITIZE_LANE:BOOL=ON' CMakeCache.txt 2>/dev/null; then
	nice -n 19 "$src/tests/sanitize/run.sh" --build-only "$src" "$(pwd)/sanitize" \
		>sanitize-prebuild.log 2>&1 &
	prebuild=$!
fi
rc=0
ctest --output-on-failure --timeout 900 "$@" || rc=$?
if [ -n "$prebuild" ]; then
	wait "$prebuild" || echo "the sanitizer lane's build failed: $(pwd)/sanitize-prebuild.log"
fi
exit "$rc"
