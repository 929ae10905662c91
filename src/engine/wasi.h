// WASI 0.2 for an instance: wasmtime-wasi's implementation (linked into every engine),
// with every input from outside answered by these hooks, which the runtime binds to the
// actor's chain (recorded live, answered from the recording on replay). stdin is empty,
// no directory is preopened, and every socket use is refused.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace theater {

class Component;

struct WasiHooks {
  // What the guest wrote to stdout (fd 1) or stderr (2); false refuses it (the guest's
  // write fails).
  std::function<bool(int fd, std::span<const uint8_t> bytes)> write;
  std::function<uint64_t()> wall_now;       // wasi:clocks/wall-clock: ns since the Unix epoch
  std::function<uint64_t()> monotonic_now;  // wasi:clocks/monotonic-clock: ns
  std::function<void(std::span<uint8_t> out)> random;  // wasi:random: fills `out`
  std::function<void(const std::string& what)> socket_refused;  // "Connect 10.0.0.1:80"
  std::vector<std::pair<std::string, std::string>> env;  // wasi:cli/environment
};

// The first `wasi:` interface the component imports ("wasi:cli/environment@0.2.9"), if any.
std::optional<std::string> FirstWasiImport(const Component& component);

}  // namespace theater
