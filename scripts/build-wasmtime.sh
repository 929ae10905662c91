#!/usr/bin/env bash
# Builds wasmtime's C API (libwasmtime.a + headers) from crates.io through the wrapper
# crate in third_party/wasmtime-shim, into a cache folder outside the clone:
#   ${THEATER_CACHE:-~/.cache/theater}/wasmtime/<version>-<key>/{lib,include}
# <key> hashes the crate's files (version, features, lockfile, shim code), so a change
# gives a new folder and an unchanged one is reused by every clone, build and CI run.
# Cargo's target folder (wasmtime/target) is shared by all keys: a change to the shim
# recompiles only what changed.
# Prints the cache folder on its last line. Safe to re-run: a finished build is a no-op.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shim="$here/third_party/wasmtime-shim"
version="$(sed -n 's/.*version = "=\([0-9.]*\)".*/\1/p' "$shim/Cargo.toml" | head -n1)"
key="$(cat "$shim/Cargo.toml" "$shim/Cargo.lock" "$shim"/src/*.rs | sha256sum | cut -c1-12)"
root="${THEATER_CACHE:-$HOME/.cache/theater}/wasmtime"
cache="$root/${version}-${key}"
target="$root/target"

if [[ -f "$cache/lib/libwasmtime.a" && -f "$cache/include/wasmtime.hh" && -f "$cache/include/wasmtime/conf.h" ]]; then
  echo "$cache"
  exit 0
fi

command -v cargo >/dev/null || { echo "build-wasmtime: cargo not found (install Rust 1.95 with rustup)" >&2; exit 1; }
command -v cmake >/dev/null || { echo "build-wasmtime: cmake not found (wasmtime's build script needs it)" >&2; exit 1; }
mkdir -p "$cache"
echo "build-wasmtime: building wasmtime $version C API into $cache (takes many minutes on 2 cores)" >&2
start=$(date +%s)
CARGO_TARGET_DIR="$target" \
  cargo build --release --locked --manifest-path "$shim/Cargo.toml" >&2
# wasmtime-c-api-impl's build script generates wasmtime/conf.h (from the enabled
# features) and installs every header into its OUT_DIR/include.
headers="$(ls -td "$target"/release/build/wasmtime-c-api-impl-*/out/include | head -n1)"
[[ -f "$headers/wasmtime.hh" ]] || { echo "build-wasmtime: generated headers not found under $target" >&2; exit 1; }
rm -rf "$cache/include" "$cache/lib"
mkdir -p "$cache/lib"
cp -r "$headers" "$cache/include"
cp "$target/release/libwasmtime.a" "$cache/lib/libwasmtime.a"
echo "build-wasmtime: done in $(( $(date +%s) - start )) s" >&2
echo "$cache"
