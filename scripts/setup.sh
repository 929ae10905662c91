#!/usr/bin/env bash
# Sets up everything Theater needs on a fresh Debian 12 machine. Idempotent: each step
# checks first and does nothing when its part is already there.
#   1. Debian packages: the C++ toolchain and libraries, and the guest toolchain
#      (clang-22, lld-22, wasi-libc, libclang-rt-22-dev-wasm32), and clang's sanitizer and
#      libFuzzer runtimes (libclang-rt-22-dev) for the protocol fuzz target (scripts/fuzz.sh),
#      libcurl (http-client), Boost headers (Beast, for http-framework and the dashboard),
#      curl (their tests), chromium (the dashboard's browser test), and nats-server with
#      libnats-dev (the cluster: its node-to-node transport and its tests).
#   2. wasm-tools and wit-bindgen (pinned, from crates.io) for building C/C++ actors,
#      componentize-py (pinned, from PyPI, in its own venv) for Python actors,
#      componentize-js (pinned by scripts/js-toolchain's lock file, from npm) for
#      JavaScript actors, playwright-core (pinned by tests/dashboard's lock file, from npm)
#      to drive chromium in the dashboard's test, and
#   3. the wasmtime C API, built once into ~/.cache/theater (scripts/build-wasmtime.sh),
#      these at the same time.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  libtomlplusplus-dev nlohmann-json3-dev libcli11-dev libssl-dev libsqlite3-dev
  libspdlog-dev libfmt-dev libasio-dev uuid-dev libgtest-dev libgmock-dev libbenchmark-dev
  clang-22 lld-22 wasi-libc libclang-rt-22-dev-wasm32 libc++-22-dev-wasm32 libc++abi-22-dev-wasm32
  libclang-rt-22-dev
  libcurl4-openssl-dev libboost-dev curl openssl
  python3 python3-venv
  chromium
  nats-server libnats-dev
)
# Node.js runs componentize-js. The machines have Node 20 with npm; where there is no npm,
# Debian's nodejs and npm are installed.
command -v npm >/dev/null || APT_PACKAGES+=(nodejs npm)
WASM_TOOLS_VERSION=1.263.0
WIT_BINDGEN_VERSION=0.63.0
COMPONENTIZE_PY_VERSION=0.25.1

as_root() { if [[ $(id -u) -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null || { echo "setup: cargo not found; install Rust 1.95 with rustup" >&2; exit 1; }

# The three Rust builds need the Debian packages (a C compiler, cmake) and nothing of each
# other: they run at the same time. On 2 cores that fills the long one-crate stretches of
# each (wasmtime's own crate, cranelift's, wasm-tools') with the others' work. Each one's
# output goes to a log, shown if it fails.
logs="$(mktemp -d)"
trap 'rm -rf "$logs"' EXIT
exec 3>&1  # the terminal, for the jobs' progress lines
install_crate() { # crate binary version
  if ! "$2" --version 2>/dev/null | grep -q "$3"; then
    echo "setup: cargo install $1@$3 (in the background)" >&3
    cargo install --locked --quiet "$1@$3"
  fi
}
declare -A jobs=()
install_crate wasm-tools wasm-tools "$WASM_TOOLS_VERSION" >"$logs/wasm-tools" 2>&1 & jobs[wasm-tools]=$!
install_crate wit-bindgen-cli wit-bindgen "$WIT_BINDGEN_VERSION" >"$logs/wit-bindgen" 2>&1 & jobs[wit-bindgen]=$!
bash "$here/scripts/build-wasmtime.sh" >"$logs/wasmtime" 2>&1 & jobs[wasmtime]=$!
# componentize-py (Python actors: theater build, the tests) in a virtual environment of its own.
install_componentize_py() {
  local venv="${THEATER_CACHE:-$HOME/.cache/theater}/componentize-py-$COMPONENTIZE_PY_VERSION"
  [[ -x "$venv/bin/componentize-py" ]] && return 0
  echo "setup: pip install componentize-py==$COMPONENTIZE_PY_VERSION into $venv (in the background)" >&3
  rm -rf "$venv"
  /usr/bin/python3 -m venv "$venv" && "$venv/bin/pip" install --quiet --disable-pip-version-check \
    "componentize-py==$COMPONENTIZE_PY_VERSION"
}
install_componentize_py >"$logs/componentize-py" 2>&1 & jobs[componentize-py]=$!
# npm packages pinned by a committed lock file: installed with npm ci into a directory
# named by the lock file's hash (a changed pin installs afresh), and linked as
# $cache/NAME, where theater build, CMake and the tests look.
#   npm_ci_pinned NAME FOLDER-WITH-package.json INSTALLED-PATH (relative to the install)
npm_ci_pinned() {
  local name="$1" source="$2" installed="$3"
  local lock="$source/package-lock.json"
  local cache="${THEATER_CACHE:-$HOME/.cache/theater}"
  local dir="$cache/$name-$(sha256sum "$lock" | cut -c1-12)"
  if [[ ! -x "$dir/$installed" ]]; then
    echo "setup: npm ci $name into $dir (in the background)" >&3
    rm -rf "$dir" && mkdir -p "$dir"
    cp "$source/package.json" "$lock" "$dir/"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
  fi
  ln -sfn "$dir" "$cache/$name"
}
# componentize-js (JavaScript actors).
npm_ci_pinned componentize-js "$here/scripts/js-toolchain" node_modules/.bin/componentize-js \
  >"$logs/componentize-js" 2>&1 & jobs[componentize-js]=$!
# playwright-core: the dashboard's browser test drives Debian's chromium with it.
npm_ci_pinned playwright-core "$here/tests/dashboard" node_modules/playwright-core \
  >"$logs/playwright" 2>&1 & jobs[playwright]=$!
failed=0
for name in "${!jobs[@]}"; do
  if ! wait "${jobs[$name]}"; then
    echo "setup: building $name failed:" >&2
    tail -n 40 "$logs/$name" >&2
    failed=1
  fi
done
((failed == 0)) || exit 1
grep -h "^build-wasmtime" "$logs/wasmtime" || true  # what it built, and how long it took

# Each actor needs a few memory mappings; Linux's default of 65530 per process caps a
# process at a few thousand actors. Raise it (for this boot) when we may.
if [[ -r /proc/sys/vm/max_map_count && $(cat /proc/sys/vm/max_map_count) -lt 262144 ]]; then
  if as_root sysctl -q -w vm.max_map_count=262144 2>/dev/null; then
    echo "setup: vm.max_map_count raised to 262144"
  else
    echo "setup: could not raise vm.max_map_count; Theater will run fewer actors per process" >&2
  fi
fi
echo "setup: ready"
