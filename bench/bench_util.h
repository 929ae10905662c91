// Helpers the benchmarks share: an engine with every host interface, manifests that must
// parse (a benchmark has no way on without them), and timing arithmetic.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

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

inline double Micros(std::chrono::steady_clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

// The median (the upper one of an even count); 0 for none.
inline double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  return xs.empty() ? 0 : xs[xs.size() / 2];
}

}  // namespace theater::bench
