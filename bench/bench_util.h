// Helpers the benchmarks share: an engine with every host interface, and manifests that
// must parse (a benchmark has no way on without them).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "host/host_interfaces.h"
#include "manifest/manifest.h"

namespace theater::bench {

inline std::shared_ptr<Engine> MakeEngine() {
  auto engine = Engine::Create({});
  if (!engine.ok() || !host::DefineAllInterfaces(**engine).ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.ok() ? "host interfaces" : engine.error().c_str());
    std::exit(1);
  }
  return *engine;
}

inline Manifest ManifestOrExit(const std::string& text, const std::string& name) {
  auto m = ParseManifest(text, "/", name);
  if (!m.ok()) {
    std::fprintf(stderr, "%s\n", m.error().c_str());
    std::exit(1);
  }
  return *m;
}

}  // namespace theater::bench
