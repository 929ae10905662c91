// A compiled component, shared by every actor that runs it.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/sha256.h"

namespace theater {

// A function the component imports: `interface#name` with its signature as the engine
// renders it ("func(string) -> u64").
struct ImportedFunction {
  std::string interface;
  std::string name;
  std::string signature;
};

class Component {
 public:
  struct Impl;
  explicit Component(std::unique_ptr<Impl> impl);
  ~Component();

  // SHA-256 of the bytes it was loaded from (.wasm or .wat).
  const Hash& sha256() const;
  // How it was first obtained in this process: "compiled" or "disk-cache".
  const std::string& origin() const;
  // Milliseconds spent compiling or deserializing it.
  double load_ms() const;
  // Whether its instances map its initial memory copy-on-write (a large component: a
  // language's runtime inside) instead of copying it (engine_impl.h).
  bool copy_on_write() const;
  // Names of the instances it imports ("theater:simple/runtime", ...).
  const std::vector<std::string>& imports() const;
  // Names of the instances it exports ("theater:simple/actor", ...).
  const std::vector<std::string>& exports() const;
  // Every function of every instance it imports.
  const std::vector<ImportedFunction>& imported_functions() const;

  Impl& impl() const { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace theater
