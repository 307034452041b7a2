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

# The builds of the fuzz targets and of the sanitizer lane take about 10
# minutes of CPU; the suites CTest runs before those entries mostly wait on
# containers. So on a whole run both builds start now, one after the other at
# the lowest priority, and each entry waits for its build (a lock) and finds
# it up to date. The fuzz entry comes first in CTest, so its build does too.
prebuild=
if [ $# -eq 0 ] && [ "$(id -u)" -eq 0 ] &&
	grep -q '^CORRAL_SANITIZE_LANE:BOOL=ON' CMakeCache.txt 2>/dev/null; then
	(
		nice -n 19 "$src/tests/fuzz/run.sh" --build-only "$src" "$(pwd)/fuzz" ||
			echo "the fuzz targets' build failed"
		nice -n 19 "$src/tests/sanitize/run.sh" --build-only "$src" "$(pwd)/sanitize" ||
			echo "the sanitizer lane's build failed"
	) >prebuild.log 2>&1 &
	prebuild=$!
fi
rc=0
ctest --output-on-failure --timeout 900 "$@" || rc=$?
if [ -n "$prebuild" ]; then
	wait "$prebuild"
	! grep -q 'build failed' prebuild.log || echo "a background build failed: $(pwd)/prebuild.log"
fi
exit "$rc"
