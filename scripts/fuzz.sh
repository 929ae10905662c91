#!/usr/bin/env bash
# Builds a fuzz target (fuzz/) with clang-22, libFuzzer, ASan and UBSan, and runs it for
# SECONDS (default 60) over its seed corpus.
#   scripts/fuzz.sh [SECONDS] [BUILD_DIR] [TARGET]     # BUILD_DIR defaults to build/fuzz
# TARGET: protocol (the default; seeds fuzz/corpus/*), manifest, chain_file, chain_export
# or inclusion_proof (seeds fuzz/corpus/TARGET/). Inputs the fuzzer finds go to
# BUILD_DIR/corpus[-TARGET], never into the source tree (libFuzzer writes only to its first
# corpus directory). A crash, leak or UB report is saved as BUILD_DIR/crash-* (or leak-*,
# timeout-*) and the exit status is not 0; replay one with BUILD_DIR/TARGET_fuzz FILE.
# Needs clang-22 and libclang-rt-22-dev (scripts/setup.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
dir="${2:-$here/build/fuzz}"
target="${3:-protocol}"

# -max_len: what each input needs to reach the interesting paths, and no more.
case "$target" in
  protocol) max_len=8192 ;;        # a few frames of the target's 1 KiB limit, past the 4 KiB compaction
  manifest) max_len=4096 ;;
  chain_file|chain_export) max_len=16384 ;;  # a few dozen events with their checkpoints
  inclusion_proof) max_len=8192 ;;
  *) echo "scripts/fuzz.sh: unknown target $target" >&2; exit 2 ;;
esac

generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f "$dir/CMakeCache.txt" ]]; then
  CC=clang-22 CXX=clang++-22 cmake -S "$here/fuzz" -B "$dir" "${generator[@]}" >/dev/null
fi
# Quiet when it builds; when it does not, the compiler's errors are what the test shows.
if ! cmake --build "$dir" --target "${target}_fuzz" >"$dir/build-$target.log" 2>&1; then
  echo "scripts/fuzz.sh: building ${target}_fuzz failed:" >&2
  tail -n 40 "$dir/build-$target.log" >&2
  exit 1
fi

args=(-max_len="$max_len" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048
  -artifact_prefix="$dir/" -print_final_stats=1)
[[ -f "$here/fuzz/$target.dict" ]] && args+=(-dict="$here/fuzz/$target.dict")
# THEATER_FUZZ_SEED fixes libFuzzer's seed (the test suite sets it: a run there is repeatable;
# by hand, unset, each run explores anew).
[[ -n "${THEATER_FUZZ_SEED:-}" ]] && args+=(-seed="$THEATER_FUZZ_SEED")
if [[ "$target" == protocol ]]; then
  # The protocol's seeds are the files directly in fuzz/corpus/ (the other targets' seeds
  # are in folders below it, which libFuzzer would read too).
  mkdir -p "$dir/corpus"
  seeds="$(find "$here/fuzz/corpus" -maxdepth 1 -type f | paste -sd, -)"
  exec "$dir/protocol_fuzz" "$dir/corpus" -seed_inputs="$seeds" "${args[@]}"
fi
mkdir -p "$dir/corpus-$target"
exec "$dir/${target}_fuzz" "$dir/corpus-$target" "$here/fuzz/corpus/$target" "${args[@]}"
