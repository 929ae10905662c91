// `theater build`: builds an actor project (one `theater new` wrote, or any directory with a
// build.toml) into a WebAssembly component with the language's toolchain:
//   C, C++   wit-bindgen c (bindings for the world) -> clang-22 / clang++-22 --target=wasm32-wasi
//            (a reactor) -> wasm-tools component new
//   Python   componentize-py (CPython, the app module and theater/sdk/theater.py)
//   JS       componentize-js (StarlingMonkey and the entry module with what it imports)
// A missing tool is named with how to install it; a failing step shows its output.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "common/status.h"

namespace theater::project {

// build.toml, read and checked.
struct BuildFile {
  std::string language;              // "c", "cpp", "python" or "js"
  std::string world;                 // a world of theater/wit/worlds.wit
  std::vector<std::string> sources;  // relative to the project
  std::string output;                // the component, relative to the project
};
Result<BuildFile> ReadBuildFile(const std::filesystem::path& project_dir);

struct BuildOptions {
  std::filesystem::path dir;                           // the project
  std::function<void(const std::string&)> progress;    // one line per step (may be empty)
};

struct BuildOutcome {
  std::filesystem::path component;
  uint64_t bytes = 0;
};

Result<BuildOutcome> BuildProject(const BuildOptions& options);

}  // namespace theater::project
