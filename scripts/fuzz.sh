#!/usr/bin/env bash
# Builds the protocol fuzz target (fuzz/) with clang-22, libFuzzer, ASan and UBSan, and
# runs it for SECONDS (default 60) over the seed corpus fuzz/corpus/.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR]     # BUILD_DIR defaults to build/fuzz
# Inputs the fuzzer finds go to BUILD_DIR/corpus, never into the source tree (libFuzzer
# writes only to its first corpus directory). A crash, leak or UB report is saved as
# BUILD_DIR/crash-* (or leak-*, timeout-*) and the exit status is not 0; replay one with
# BUILD_DIR/protocol_fuzz FILE. Needs clang-22 and libclang-rt-22-dev (scripts/setup.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
dir="${2:-$here/build/fuzz}"

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang-22 CXX=clang++-22 cmake -S "$here/fuzz" -B "$dir" "${generator[@]}" >/dev/null
fi
cmake --build "$dir" >/dev/null

mkdir -p "$dir/corpus"
# -max_len: a few frames of the target's 1 KiB limit, and past the 4 KiB at which
# FrameReader compacts its buffer.
exec "$dir/protocol_fuzz" "$dir/corpus" "$here/fuzz/corpus" \
  -dict="$here/fuzz/protocol.dict" -max_len=8192 -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
  -artifact_prefix="$dir/" -print_final_stats=1
