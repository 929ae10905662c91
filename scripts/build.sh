#!/usr/bin/env bash
# Configures and builds Theater into build/ (the CLI lands at build/theater), including
# the example actors and the test actors. Assumes scripts/setup.sh has run.
# THEATER_BUILD_TYPE=RelWithDebInfo builds with debug info (the default, Release, is -O2 without).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"
cmake -S "$here" -B "$here/build" -G Ninja -DCMAKE_BUILD_TYPE="${THEATER_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$here/build"
