// The actor manifest (TOML), as in contract/theater-simple.md, plus Theater's [limits].
// Load() checks everything it can up front: every error names the file, the line where
// known, the field, and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"

namespace theater {

// One [[handler]] table: a granted capability and its settings (every key but `type`).
struct HandlerConfig {
  std::string type;
  nlohmann::json settings = nlohmann::json::object();
};

// Resource limits for one actor. Defaults are deliberately generous for honest actors and
// still end a runaway one within seconds.
struct ActorLimits {
  uint64_t fuel_per_call = 2'000'000'000;  // wasm fuel per export call; 0 = unlimited
  uint64_t call_timeout_ms = 10'000;       // wall-clock deadline per export call; 0 = none
  uint64_t max_memory_bytes = 64ull << 20; // linear memory per actor (each memory)
  uint64_t max_table_elements = 100'000;
  uint64_t max_instances = 100;             // core instances of the component
};

struct PermissionPolicy {
  std::string handler;  // handler type it applies to
  std::string type;     // inherit | disallow | restrict
  nlohmann::json settings = nlohmann::json::object();
};

struct Manifest {
  std::filesystem::path file;       // the manifest's own path ("<inline>" for inline TOML)
  std::string name;
  std::string version;
  std::string component;            // as written
  std::filesystem::path component_path;  // resolved against the manifest's folder (empty for store://)
  std::optional<std::string> description;
  std::optional<Bytes> init_state;  // contents of init_state (a JSON document)
  bool save_chain = true;
  std::vector<HandlerConfig> handlers;
  std::vector<PermissionPolicy> permission_policies;
  ActorLimits limits;

  bool Grants(std::string_view handler_type) const;
  const HandlerConfig* Handler(std::string_view handler_type) const;
};

// The handler types of the contract, in its order.
const std::vector<std::string>& KnownHandlerTypes();

// Reads and checks a manifest file.
Result<Manifest> LoadManifest(const std::filesystem::path& path);
// Parses manifest text; relative paths resolve against `base_dir`, errors name `origin`.
Result<Manifest> ParseManifest(std::string_view toml_text, const std::filesystem::path& base_dir,
                               const std::string& origin);

}  // namespace theater
