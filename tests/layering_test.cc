// DESIGN.md's layering, checked on the sources: each directory of src/ includes only the
// layers below it, and the third-party libraries each layer wraps stay inside it. The
// build enforces the same at link time (one library per layer, CMakeLists.txt); this test
// names the offending line.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <string>

namespace {

namespace fs = std::filesystem;

// Each layer and the layers it may include (besides itself), closed transitively.
const std::map<std::string, std::set<std::string>>& Allowed() {
  static const std::map<std::string, std::set<std::string>> kAllowed = [] {
    std::map<std::string, std::set<std::string>> direct = {
        {"common", {}},
        {"engine", {"common"}},
        {"chain", {"common"}},
        {"manifest", {"common"}},
        {"storage", {"chain"}},
        {"runtime", {"engine", "chain", "manifest", "storage"}},
        {"host", {"runtime"}},
        {"cluster", {"runtime"}},
        {"server", {"host", "cluster"}},
        {"project", {"host"}},
        {"cli", {"server", "project"}},
    };
    std::map<std::string, std::set<std::string>> closed = direct;
    for (bool grew = true; grew;) {
      grew = false;
      for (auto& [layer, deps] : closed)
        for (const auto& dep : std::set<std::string>(deps))
          for (const auto& below : closed[dep]) grew |= deps.insert(below).second;
    }
    return closed;
  }();
  return kAllowed;
}

// Third-party headers that belong to one layer only.
const std::map<std::string, std::string> kPrivateHeaders = {
    {"wasmtime", "engine"}, {"wasm.h", "engine"}, {"nats/", "cluster"}, {"sqlite3.h", "storage"}};

// Headers a layer may not include though their layer is below it: host interfaces reach the
// actor system only through runtime/host_services.h.
const std::map<std::string, std::set<std::string>> kNarrowed = {{"host", {"runtime/actor_system.h"}}};

TEST(Layering, EachLayerIncludesOnlyTheLayersBelowIt) {
  fs::path src = fs::path(THEATER_SOURCE_DIR) / "src";
  static const std::regex include_line(R"re(^\s*#\s*include\s*([<"])([^>"]+)[>"])re");
  int files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(src)) {
    if (!entry.is_regular_file()) continue;
    auto ext = entry.path().extension();
    if (ext != ".h" && ext != ".cc") continue;
    std::string layer = entry.path().lexically_relative(src).begin()->string();
    auto allowed = Allowed().find(layer);
    ASSERT_NE(allowed, Allowed().end()) << "src/" << layer << " is not a layer of DESIGN.md: add it here";
    ++files;
    std::ifstream in(entry.path());
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
      std::smatch m;
      if (!std::regex_search(line, m, include_line)) continue;
      std::string header = m[2];
      std::string where = entry.path().lexically_relative(src.parent_path()).string() + ":" + std::to_string(n);
      if (m[1] == "\"") {
        auto slash = header.find('/');
        if (slash == std::string::npos) continue;
        std::string target = header.substr(0, slash);
        if (!Allowed().count(target) || target == layer) continue;
        EXPECT_TRUE(allowed->second.count(target)) << where << ": " << layer << "/ may not include " << header;
        if (auto narrowed = kNarrowed.find(layer); narrowed != kNarrowed.end())
          EXPECT_FALSE(narrowed->second.count(header)) << where << ": " << layer << "/ may not include " << header;
      } else {
        for (const auto& [prefix, owner] : kPrivateHeaders)
          if (header.rfind(prefix, 0) == 0)
            EXPECT_EQ(layer, owner) << where << ": <" << header << "> belongs to " << owner << "/ only";
      }
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
