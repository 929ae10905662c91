#!/usr/bin/env bash
# Sets everything up, builds, and runs every test (GoogleTest through CTest). The last
# line printed is CTest's summary; the exit status is CTest's.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$here/scripts/setup.sh"
bash "$here/scripts/build.sh"
log="$(mktemp)"
status=0
(cd "$here/build" && ctest --output-on-failure -j"$(nproc)") 2>&1 | tee "$log" || status=$?
summary="$(grep -E '[0-9]+% tests passed' "$log" | tail -n1 || true)"
rm -f "$log"
echo
echo "${summary:-no test summary: the test run did not complete}"
exit "$status"
