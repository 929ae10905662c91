// The actor manifest (TOML), as in contract/theater-simple.md, plus Theater's [limits].
// Load() checks everything it can up front: every error names the file, the line where
// known, the field, and what is wrong.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "common/bytes.h"
#include "common/status.h"
#include "common/unique_fd.h"

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
  uint64_t max_memory_bytes = 64ull << 20; // linear memory per actor (each memory); at least 64 KiB
  uint64_t max_table_elements = 100'000;
  uint64_t max_instances = 100;             // core instances of the component
  // runtime.log bytes one turn may write (each call counts 64 bytes more, so that a flood
  // of empty lines is bounded too); past it the turn fails with limit-exceeded.
  uint64_t max_log_bytes_per_turn = 1ull << 20;
  // How large the actor's chain may grow (its events' data, as stored); past it a turn
  // fails with limit-exceeded. Its stop, failure and restart events are still recorded.
  uint64_t max_chain_bytes = 1ull << 30;
};

struct PermissionPolicy {
  std::string handler;  // handler type it applies to
  std::string type;     // inherit | disallow | restrict
  nlohmann::json settings = nlohmann::json::object();
};

struct Manifest {
  std::filesystem::path file;       // the manifest's own path ("<inline>" for inline TOML)
  std::filesystem::path base_dir;   // the folder its relative paths are resolved against
  std::string name;
  std::string version;
  std::string component;            // as written
  std::filesystem::path component_path;  // resolved against the manifest's folder (empty for store://)
  std::optional<std::string> description;
  std::optional<Bytes> init_state;  // contents of init_state (a JSON document)
  bool save_chain = true;
  // The cluster node to run on (docs/cluster.md); empty: the node that starts it.
  std::string node;
  std::vector<HandlerConfig> handlers;
  std::vector<PermissionPolicy> permission_policies;
  ActorLimits limits;
  // Set when an actor named the manifest (supervisor.spawn): its component as read and
  // checked then, so that what runs is what was checked (a file swapped afterwards does
  // not count), and errors about it do not show the content of files.
  std::shared_ptr<const Bytes> component_bytes;
  bool named_by_actor = false;

  bool Grants(std::string_view handler_type) const;
  const HandlerConfig* Handler(std::string_view handler_type) const;
};

// The handler types of the contract, in its order.
const std::vector<std::string>& KnownHandlerTypes();

// Checks a cluster node's name (a manifest's `node`, `theater server --node`): it is part of
// NATS subjects, so 1 to 64 letters, digits, '-' and '_'. The error names the rule.
Status CheckNodeName(const std::string& name);

// How a manifest's files (itself, its component, its init_state) are opened. The
// operator's manifests may name any regular file this process can read (OperatorFiles);
// a manifest that an actor hands to supervisor.spawn may name only files its parent can
// reach (host/child_manifest.h).
class ManifestFiles {
 public:
  virtual ~ManifestFiles() = default;
  // Opens `path` (absolute, lexically normal) for reading without blocking. The error
  // names the path and never the file's content.
  virtual Result<UniqueFd> Open(const std::filesystem::path& path) const = 0;
  // True for files named by an actor: the component is read at once and kept in the
  // manifest (Manifest::component_bytes), and errors do not quote file content.
  virtual bool named_by_actor() const = 0;
};

// Any regular file the process can read.
class OperatorFiles : public ManifestFiles {
 public:
  Result<UniqueFd> Open(const std::filesystem::path& path) const override;
  bool named_by_actor() const override { return false; }
};

// Reads and checks a manifest file (through `files`; default: OperatorFiles).
Result<Manifest> LoadManifest(const std::filesystem::path& path, const ManifestFiles* files = nullptr);
// Parses manifest text; relative paths resolve against `base_dir`, errors name `origin`.
Result<Manifest> ParseManifest(std::string_view toml_text, const std::filesystem::path& base_dir,
                               const std::string& origin, const ManifestFiles* files = nullptr);

}  // namespace theater
