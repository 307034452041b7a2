#!/bin/sh
# Configures and builds corral into ./build (or $BUILD_DIR), then installs the
# binary to /usr/local/bin.
set -eu
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$build" -j"$(nproc)"
cmake --install "$build" --strip >/dev/null
echo "build: corral installed to /usr/local/bin/corral"
